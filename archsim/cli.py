"""The ``archsim`` command line (typer + rich)."""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from archsim.errors import ArchsimError
from archsim.terminal import LazyConsole

# Only typer, rich and archsim.errors are imported at the top of this module and of the modules
# that add commands to it: each command imports what it uses when it runs, so `archsim --help`
# and `archsim replay` do not load DuckDB, pyarrow, Dask, optuna or matplotlib
# (tests/test_startup.py checks it).

# Groups of many commands (trace, analog) are built (typer -> click, ~3 ms a command) only when
# they are named on the command line: the top-level help lists them from their help text alone.
LAZY_GROUPS: dict[str, typer.Typer] = {}


@functools.cache
def _built_group(name: str):
    return typer.main.get_group(LAZY_GROUPS[name])


class _RootGroup(TyperGroup):
    """The ``archsim`` group: lazy groups stand in as empty placeholders until they are used,
    and each top-level command is built from its typer registration when it is first looked up
    (:func:`_root_command`)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._listing = False
        self._lazy_commands: dict[str, object] = {}
        for name, group in LAZY_GROUPS.items():
            self.commands.setdefault(name, TyperGroup(name=name, help=group.info.help))

    def defer(self, infos: list) -> None:
        """Take typer command registrations to build on first use (in registration order)."""
        for info in infos:
            name = info.name or typer.main.get_command_name(info.callback.__name__)
            self._lazy_commands[name] = info
        self.commands = {**dict.fromkeys(self._lazy_commands), **self.commands}

    def get_command(self, ctx, cmd_name: str):
        if cmd_name in self._lazy_commands and self.commands.get(cmd_name) is None:
            self.commands[cmd_name] = typer.main.get_command_from_info(
                self._lazy_commands[cmd_name],  # type: ignore[arg-type]
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
        if cmd_name in LAZY_GROUPS and not self._listing:
            self.commands[cmd_name] = _built_group(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx, formatter) -> None:
        self._listing = True  # the listing needs each group's help text, not its commands
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def add_lazy_group(group: typer.Typer, name: str) -> None:
    """Add ``group`` as ``archsim NAME``, built only when a command line names it."""
    group.info.name = name
    group.rich_markup_mode = app.rich_markup_mode  # built on its own, it takes the root's style
    LAZY_GROUPS[name] = group


app = typer.Typer(
    name="archsim",
    help="Cycle-approximate architecture simulator for compute-in-memory.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's plain help and usage errors: typer's rich renderer imports rich's markdown and
    # syntax highlighting, which doubled the CPU time of `archsim --help` (0.27 s -> 0.53 s).
    rich_markup_mode=None,
    cls=_RootGroup,
)


def _print_version(value: bool) -> None:
    if value:
        from archsim.version import __version__

        sys.stdout.write(f"archsim {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """Cycle-approximate architecture simulator for compute-in-memory."""


trace_app = typer.Typer(help="Make and inspect traces.", no_args_is_help=True)
add_lazy_group(trace_app, "trace")
gen_app = typer.Typer(
    help="Generate a trace: memory access patterns or operator workloads.", no_args_is_help=True
)
trace_app.add_typer(gen_app, name="gen")

out = LazyConsole()
err = LazyConsole(stderr=True)


def _emit_json(payload: dict, destination: str | None) -> None:
    from archsim.outputs import dump_json, emit_json

    emit_json(dump_json(payload), destination)


def _check_seed(seed: int, option: str = "--seed") -> None:
    if not 0 <= seed < 2**63:
        raise ArchsimError(f"{option}: must be an integer from 0 to 2**63-1, got {seed}")


def _check_json(json_out: str | None) -> None:
    """Check a ``--json PATH`` before the work that fills it (``-`` is stdout)."""
    if json_out not in (None, "-"):
        from archsim.outputs import check_output

        check_output(json_out, "--json")


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
    timeline: Annotated[
        Path | None,
        typer.Option("--timeline", help="draw each side's resources over time (Gantt, .png/.svg)"),
    ] = None,
    command_log: Annotated[
        Path | None,
        typer.Option(
            "--command-log",
            help="write the in-memory side's DRAM commands (host traffic and PIM programs"
            " merged on one controller) for `archsim check-log`",
        ),
    ] = None,
) -> None:
    """Simulate a workload on the Von Neumann baseline and on the in-memory system."""
    from archsim.config.presets import load_system, parse_assignments
    from archsim.jit import compile_notice
    from archsim.outputs import check_output, check_output_dir
    from archsim.simulate import simulate

    _check_seed(seed)
    if fidelity not in ("fast", "full"):
        raise ArchsimError(f"--fidelity: must be fast or full, not {fidelity!r}")
    # Every output path is checked before the simulation, so a typo costs nothing.
    _check_json(json_out)
    if timeline is not None:
        check_output(timeline, "--timeline", suffixes=(".png", ".svg", ".pdf"))
    if command_log is not None:
        check_output(command_log, "--command-log")
    if out_dir is not None:
        check_output_dir(out_dir, "--out")
    cfg = load_system(system, parse_assignments(assignments or []))
    if json_out == "-":
        with compile_notice(err):
            result = simulate(cfg, workload, seed, fidelity)
    else:
        with (
            out.status(f"simulating {workload} on {system} and its baseline..."),
            compile_notice(out),
        ):
            result = simulate(cfg, workload, seed, fidelity)
    report = result.report
    if json_out != "-":
        out.print(report.table())
    _emit_json(report.model_dump(), json_out)
    if out_dir is not None:
        result.write(out_dir)
    if timeline is not None:
        from archsim.report.timeline import plot_timeline

        plot_timeline(result.timeline(), timeline, f"{report.workload} on {report.system}")
    if command_log is not None:
        from archsim.system.command_log import write_run_log

        logged = write_run_log(result, command_log, system, parse_assignments(assignments or []))
        err.print(
            f"{command_log}: {logged['commands']:,} commands of {logged['requests']:,} requests"
            f" and PIM commands, {logged['log_time_ns']:,.0f} ns at command level (engine:"
            f" {logged['engine_time_ns']:,.0f} ns)"
        )


@app.command()
def reprice(
    out_dir: Annotated[Path, typer.Argument(help="a directory written by `archsim run --out`")],
    energy_table: Annotated[
        str, typer.Option("--energy-table", help="energy table preset or YAML path")
    ],
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the JSON report to PATH, or - for stdout")
    ] = None,
) -> None:
    """Price a saved run's action counts with another energy table (no simulation)."""
    from archsim.system.reprice import reprice as reprice_run

    report = reprice_run(out_dir, energy_table)
    if json_out != "-":
        out.print(report.table())
    _emit_json(report.model_dump(), json_out)


@app.command()
def presets(
    kind: Annotated[
        str | None,
        typer.Argument(
            help="only this kind: systems, workloads, sweeps, energy, tco, devices,"
            " periphery, circuits or traces"
        ),
    ] = None,
) -> None:
    """List every built-in preset: a one-line description and the commands it works with."""
    import shutil

    from archsim.report.catalog import KINDS, catalogue, short

    kinds = [*KINDS, "traces"]
    if kind is not None and kind not in kinds:
        raise ArchsimError(f"presets: unknown kind {kind!r}; one of {', '.join(kinds)}")
    entries = [e for e in catalogue() if kind is None or e.kind == kind]
    # Plain lines, never wrapped: one preset per line (greppable), the description cut to fit.
    width = shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 100
    pad = max(len(e.name) for e in entries) + 2
    lines = []
    for k in dict.fromkeys(e.kind for e in entries):
        group = [e for e in entries if e.kind == k]
        heading, works = KINDS.get(k, ("sample memory traces", "replay, trace info"))
        lines.append(f"{heading} ({works}):")
        for e in group:
            tag = "[DRAM] " if e.works_with == "DRAM" else ""
            text = short(e.description, max(20, width - pad - 2 - len(tag)))
            lines.append(f"  {e.name:<{pad}}{tag}{text}".rstrip())
        lines.append("")
    sys.stdout.write("\n".join(lines))


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
    from archsim.jit import compile_notice
    from archsim.limits import limit
    from archsim.memory.command_log import CommandLogWriter
    from archsim.outputs import check_output
    from archsim.system.replay import replay as run_replay
    from archsim.workload.samples import resolve_trace

    path = resolve_trace(trace)
    if fmt not in ("auto", "native", "ramulator", "dramsim3"):
        raise ArchsimError(f"--format must be auto, native, ramulator or dramsim3, not {fmt!r}")
    _check_json(json_out)
    if stats is not None:
        check_output(stats, "--stats")
    if command_log is not None:
        check_output(command_log, "--command-log")
    overrides = parse_assignments(assignments or [])
    cfg = load_system(system, overrides)
    horizon = limit("MAX_ARRIVAL_PS")
    with compile_notice(err if json_out == "-" else out):
        if command_log is not None:
            # Renamed into place only when the replay succeeds (check-log refuses the rest).
            with CommandLogWriter(command_log, cfg, system, overrides) as writer:
                result = run_replay(
                    cfg, path, fmt, wrap=wrap, command_log=writer.write, max_arrival_ps=horizon
                )
        else:
            result = run_replay(cfg, path, fmt, wrap=wrap, max_arrival_ps=horizon)
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
    from archsim.jit import compile_notice
    from archsim.memory.checker import check_command_log
    from archsim.memory.command_log import logged_commands

    if not log.is_file():
        raise ArchsimError(f"{log}: no such file" if not log.exists() else f"{log}: not a file")
    try:
        expected = logged_commands(log)
    except (ValueError, OSError) as exc:
        raise ArchsimError(f"{log}: {exc}") from None
    with compile_notice(err):
        result = check_command_log(log, system)
    if result.commands != expected:
        raise ArchsimError(
            f"{log}: holds {result.commands:,} commands but its end line says {expected:,}"
            " (an edited or damaged log)"
        )
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
    from archsim.jit import compile_notice
    from archsim.report.validation import studies_json, studies_table, summary
    from archsim.validation import all_studies

    _check_json(json_out)
    if json_out == "-":
        studies = all_studies(quick=quick)
    else:
        with out.status("running validation studies..."), compile_notice(out):
            studies = all_studies(quick=quick)
        out.print(studies_table(studies))
    if json_out == "-":
        sys.stdout.write(studies_json(studies) + "\n")
    elif json_out:
        from archsim.outputs import write_text

        write_text(json_out, studies_json(studies) + "\n")
    failed = [s for s in studies if not s.ok and not s.finding]
    line = summary(studies)
    if failed:
        names = "; ".join(f"{s.system}: {s.name}" for s in failed[:5])
        err.print(f"[red]{len(failed)} studies outside tolerance with no finding[/red] ({names})")
        err.print(line)
        raise typer.Exit(1)
    (err if json_out == "-" else out).print(f"[green]{line}[/green]")


@app.command()
def warmup() -> None:
    """Compile every numba kernel into the cache now, so later runs, benchmarks and sweep
    workers start warm (the first run after an install otherwise compiles for 15-50 s)."""
    from archsim.jit import cache_location
    from archsim.warmup import warm_up

    start = time.perf_counter()
    log = warm_up(out)
    wall = time.perf_counter() - start
    if log.functions:
        out.print(
            f"[green]ready[/green]: compiled {len(log.functions)} functions in {wall:.1f} s,"
            f" cached in {cache_location()}",
            highlight=False,
        )
    else:
        out.print(f"[green]ready[/green]: every kernel was already compiled ({wall:.1f} s)")


def _register_subcommands() -> None:
    from archsim.dse import cli as dse_cli
    from archsim.pim.analog import cli as analog_cli
    from archsim.workload import memtrace_cli, ops_cli

    add_lazy_group(analog_cli.analog_app, "analog")

    memtrace_cli.register(gen_app)
    ops_cli.register(trace_app, gen_app)
    dse_cli.register(app)
    from archsim.serving import cli as serving_cli  # light: the package loads inside the command

    app.command("serve")(serving_cli.serve)


_register_subcommands()


def _skip_final_collection() -> None:
    """Once the command is done: flush, then move every live object out of the collector's
    reach. Interpreter exit still runs atexit handlers and frees modules, but skips its final
    full garbage collection over the whole heap (0.6 s CPU after a replay; measured in
    analysis/bench_startup.py). Safe because commands close and remove what they write before
    they return (tests/test_startup.py checks outputs are complete and nothing is left)."""
    import contextlib
    import gc

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: the exit code tells
            stream.flush()
    gc.freeze()


@functools.cache
def _root_command():
    """The click command of ``app``, built once per process (typer rebuilds it, ~70 ms, on
    every call of ``app()``; the in-process bad-input corpus calls execute() 470 times).

    typer converts every registered command to click up front (~20 ms, a sixth of a small
    replay's own work); here the root group is built without them and each is converted when
    the command line names it (all of them for ``--help``). ``app`` keeps its registrations,
    so ``typer.testing.CliRunner().invoke(app, ...)`` builds the same commands eagerly."""
    commands = app.registered_commands
    app.registered_commands = []
    try:
        root = typer.main.get_command(app)
    finally:
        app.registered_commands = commands
    root.defer(commands)  # type: ignore[attr-defined]
    return root


def execute(argv: list[str] | None = None) -> int:
    """Run one command line; return its exit code. User errors become one red line and exit
    code 2, never a traceback (tests/test_bad_input.py runs its corpus through here)."""
    try:
        _root_command().main(args=argv, prog_name="archsim")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ArchsimError as exc:
        from rich.markup import escape

        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except OSError as exc:
        # A file the command could not read or write that no reader turned into an
        # ArchsimError: still one line naming the file, not a traceback.
        if exc.filename is None:
            raise
        from rich.markup import escape

        err.print(
            f"[red]error:[/red] {escape(str(exc.filename))}: {escape(exc.strerror or str(exc))}",
            highlight=False,
            soft_wrap=True,
        )
        return 2
    return 0


def main() -> None:
    """Console entry point."""
    try:
        code = execute()
    finally:
        _skip_final_collection()
    sys.exit(code)


if __name__ == "__main__":
    main()
