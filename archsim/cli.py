"""The ``archsim`` command line (typer + rich)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from archsim.errors import ArchsimError

app = typer.Typer(
    name="archsim",
    help="Cycle-approximate architecture simulator for compute-in-memory.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
trace_app = typer.Typer(help="Make and inspect traces.", no_args_is_help=True)
app.add_typer(trace_app, name="trace")
gen_app = typer.Typer(
    help="Generate a trace: memory access patterns or operator workloads.", no_args_is_help=True
)
trace_app.add_typer(gen_app, name="gen")

out = Console()
err = Console(stderr=True)


def _emit_json(payload: dict, destination: str | None) -> None:
    text = json.dumps(payload, indent=2)
    if destination == "-":
        sys.stdout.write(text + "\n")
    elif destination:
        Path(destination).write_text(text + "\n")


@app.command()
def run(
    system: Annotated[
        str, typer.Argument(help="system preset or YAML (needs a host and an in-memory unit)")
    ] = "hbm2-pim",
    workload: Annotated[
        str, typer.Option("--workload", "-w", help="workload preset or trace file")
    ] = "llama2-7b-decode",
    seed: Annotated[int, typer.Option(help="seed for every random draw")] = 0,
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the JSON report to PATH, or - for stdout")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="directory for the report, resolved config and op mapping"),
    ] = None,
    fidelity: Annotated[
        str, typer.Option(help="fast (regular streams fast-forwarded) or full")
    ] = "fast",
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="override a system field: dotted.path=value (repeatable)"),
    ] = None,
) -> None:
    """Simulate a workload on the Von Neumann baseline and on the in-memory system."""
    from archsim.config.presets import load_system, parse_assignments
    from archsim.simulate import simulate

    cfg = load_system(system, parse_assignments(assignments or []))
    if json_out == "-":
        result = simulate(cfg, workload, seed, fidelity)
    else:
        with out.status(f"simulating {workload} on {system} and its baseline..."):
            result = simulate(cfg, workload, seed, fidelity)
    report = result.report
    if json_out != "-":
        out.print(report.table())
    _emit_json(report.model_dump(), json_out)
    if out_dir is not None:
        result.write(out_dir)


@app.command()
def presets() -> None:
    """List the built-in systems, workloads, sweeps and sample traces."""
    from archsim.config.presets import KINDS, list_presets
    from archsim.workload.samples import list_samples

    table = Table(title="archsim presets")
    table.add_column("kind", style="bold")
    table.add_column("names")
    for kind in KINDS:
        names = list_presets(kind)
        if names:
            table.add_row(kind, ", ".join(names))
    table.add_row("sample traces", ", ".join(list_samples()))
    out.print(table)


@app.command()
def replay(
    system: Annotated[str, typer.Argument(help="system preset name or YAML path")],
    trace: Annotated[str, typer.Argument(help="trace file, or a sample trace name")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto, native, ramulator or dramsim3")
    ] = "auto",
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the JSON report to PATH, or - for stdout")
    ] = None,
    stats: Annotated[
        Path | None, typer.Option(help="write every statistic (.json, or gem5-style text)")
    ] = None,
    command_log: Annotated[
        Path | None, typer.Option(help="write every issued DRAM command to this file")
    ] = None,
    wrap: Annotated[
        bool, typer.Option(help="fold addresses beyond the capacity instead of failing")
    ] = False,
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="override a system field: dotted.path=value (repeatable)"),
    ] = None,
) -> None:
    """Replay a memory trace on a DRAM system: time, bandwidth, latency and energy."""
    from archsim.config.presets import load_system, parse_assignments
    from archsim.memory.command_log import CommandLogWriter
    from archsim.memory.replay import replay as run_replay
    from archsim.workload.samples import resolve_trace

    path = resolve_trace(trace)
    if fmt not in ("auto", "native", "ramulator", "dramsim3"):
        raise ArchsimError(f"--format must be auto, native, ramulator or dramsim3, not {fmt!r}")
    overrides = parse_assignments(assignments or [])
    cfg = load_system(system, overrides)
    writer = None
    if command_log is not None:
        writer = CommandLogWriter(command_log, cfg, system, overrides)
        result = run_replay(cfg, path, fmt, wrap=wrap, command_log=writer.write)
        writer.close()
    else:
        result = run_replay(cfg, path, fmt, wrap=wrap)
    report = result.report
    if stats is not None:
        result.stats.write(stats)
    if json_out != "-":
        out.print(report.table())
    _emit_json(report.model_dump(), json_out)


@app.command("check-log")
def check_log(
    log: Annotated[Path, typer.Argument(help="command log written by replay --command-log")],
    system: Annotated[
        str | None, typer.Option(help="system the log was made on (default: from its header)")
    ] = None,
) -> None:
    """Verify a command log against every timing constraint of its DRAM standard."""
    from archsim.memory.checker import check_command_log

    result = check_command_log(log, system)
    if result.violations:
        for v in result.violations[:20]:
            err.print(f"[red]violation[/red] {v}")
        more = len(result.violations) - 20
        if more > 0:
            err.print(f"... and {more} more")
        raise typer.Exit(1)
    out.print(
        f"[green]ok[/green]: {result.commands:,} commands on {result.system} respect every"
        f" constraint ({result.constraints} timing rules, tFAW, bank states, refresh)"
    )


@app.command()
def validate(
    quick: Annotated[bool, typer.Option(help="shorter runs (a minute instead of several)")] = False,
    json_out: Annotated[
        str | None,
        typer.Option("--json", help="write every study as JSON to PATH, or - for stdout"),
    ] = None,
) -> None:
    """Run every validation study: model vs another tool, a publication or a closed form."""
    from archsim.report.validation import studies_json, studies_table, summary
    from archsim.validation import all_studies

    if json_out not in (None, "-"):
        _check_output(json_out)
    if json_out == "-":
        studies = all_studies(quick=quick)
    else:
        with out.status("running validation studies..."):
            studies = all_studies(quick=quick)
        out.print(studies_table(studies))
    if json_out == "-":
        sys.stdout.write(studies_json(studies) + "\n")
    elif json_out:
        _write_atomic(Path(json_out), studies_json(studies) + "\n")
    failed = [s for s in studies if not s.ok and not s.finding]
    line = summary(studies)
    if failed:
        names = "; ".join(f"{s.system}: {s.name}" for s in failed[:5])
        err.print(f"[red]{len(failed)} studies outside tolerance with no finding[/red] ({names})")
        err.print(line)
        raise typer.Exit(1)
    (err if json_out == "-" else out).print(f"[green]{line}[/green]")


def _check_output(path: str) -> None:
    target = Path(path)
    if target.is_dir():
        raise ArchsimError(f"--json {path}: is a directory")
    if not target.parent.is_dir():
        raise ArchsimError(f"--json {path}: directory {target.parent} does not exist")


def _write_atomic(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text)
    tmp.replace(target)


def _register_subcommands() -> None:
    from archsim.dse import cli as dse_cli
    from archsim.pim.analog import cli as analog_cli
    from archsim.workload import memtrace_cli, ops_cli

    analog_cli.register(app)

    memtrace_cli.register(gen_app)
    ops_cli.register(trace_app, gen_app)
    dse_cli.register(app)


_register_subcommands()


def main() -> None:
    """Console entry point: user errors become one red line and exit code 2, never a traceback."""
    try:
        app()
    except ArchsimError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
