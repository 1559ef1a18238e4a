"""``archsim sweep`` and ``archsim report`` (registered on the main typer app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archsim.errors import ArchsimError
from archsim.terminal import LazyConsole

out = LazyConsole()
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
EXPORT_SUFFIXES = (".parquet", ".csv")
# [assumption] more worker processes than this on one machine is a typo (each holds ~200 MB).
MAX_LOCAL_WORKERS = 256


def _check_outputs(db: Path | None, export: Path | None, plot: Path | None, html: Path | None):
    """Every path a sweep or report writes, checked before any point runs."""
    from archsim.outputs import check_output

    if db is not None:
        check_output(db, "--db")
    if export is not None:
        check_output(export, "--export", suffixes=EXPORT_SUFFIXES)
    if plot is not None:
        check_output(plot, "--plot", suffixes=FIGURE_SUFFIXES)
    if html is not None:
        check_output(html, "--html", suffixes=(".html", ".htm"))


def sweep(
    spec: Annotated[str, typer.Argument(help="sweep preset (archsim presets) or YAML path")],
    executor: Annotated[str, typer.Option(help="local (process pool) or dask")] = "local",
    scheduler: Annotated[
        str | None, typer.Option(help="address of a running Dask scheduler, tcp://host:8786")
    ] = None,
    workers: Annotated[int, typer.Option(help="worker processes (local, or a LocalCluster)")] = 1,
    db: Annotated[
        Path | None, typer.Option(help="DuckDB results file (default: <sweep name>.duckdb)")
    ] = None,
    export: Annotated[
        Path | None, typer.Option(help="also write every row to this .parquet or .csv file")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(help="then write the report's figures (as archsim report --plot FILE)"),
    ] = None,
    html: Annotated[
        Path | None, typer.Option(help="then write the report as one HTML page")
    ] = None,
) -> None:
    """Run a sweep into a DuckDB results file; finished points are skipped on a re-run.

    With --plot or --html it also reports on the file, with the sweep's own report settings.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.table import Table

    from archsim.dse.runner import default_db
    from archsim.dse.runner import sweep as run_sweep
    from archsim.dse.spec import load_sweep

    if executor not in ("local", "dask"):
        raise ArchsimError(f"--executor: must be local or dask, not {executor!r}")
    if not 1 <= workers <= MAX_LOCAL_WORKERS:
        raise ArchsimError(f"--workers: must be from 1 to {MAX_LOCAL_WORKERS}, got {workers}")
    if scheduler is not None:
        import re

        if executor != "dask":
            raise ArchsimError("--scheduler: needs --executor dask")
        if not re.fullmatch(r"(tcp|tls|ucx|inproc)://[^\s:/]+:\d{1,5}/?", scheduler):
            raise ArchsimError(
                f"--scheduler: {scheduler!r} is not a scheduler address such as tcp://host:8786"
            )
    _check_outputs(db, export, plot, html)
    loaded = load_sweep(spec)
    target = db or default_db(loaded)
    if db is None:
        _check_outputs(target, None, None, None)
    counts = {"ok": 0, "failed": 0, "skipped": 0}
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "[green]{task.fields[ok]} ok[/] [red]{task.fields[failed]} failed[/]"
            " [dim]{task.fields[skipped]} skipped[/]  {task.fields[rate]}"
        ),
        TimeElapsedColumn(),
    )
    points = (loaded.samples or 0) if loaded.method == "optuna" else len(loaded.points())
    total = points * len(loaded.seeds)
    with Progress(*columns, console=out.console, transient=False) as bar:
        job = bar.add_task(loaded.name, total=total, ok=0, failed=0, skipped=0, rate="")

        def tick(task, result) -> None:
            key = "skipped" if result is None else ("ok" if result["status"] == "ok" else "failed")
            counts[key] += 1
            elapsed = bar.tasks[0].elapsed or 0.0
            ran = counts["ok"] + counts["failed"]
            rate = f"{ran / elapsed:.1f} pt/s" if elapsed > 0 and ran else ""
            bar.update(job, advance=1, rate=rate, **counts)

        try:
            outcome = run_sweep(loaded, executor, workers, target, scheduler, progress=tick)
        except KeyboardInterrupt:
            bar.stop()
            saved = counts["ok"] + counts["failed"]
            out.print(
                f"interrupted: {saved:,} points finished in this run are saved in {target}"
                f" ({counts['skipped']:,} were there before); run the same command again to"
                " resume: finished points are skipped",
                highlight=False,
            )
            raise
    table = Table(title=f"sweep {outcome.name} -> {outcome.db}")
    for col in ("points", "ran ok", "failed", "skipped (done before)", "workers", "wall", "rate"):
        table.add_column(col, justify="right")
    ran = outcome.ok + outcome.failed
    table.add_row(
        str(outcome.total),
        str(outcome.ok),
        str(outcome.failed),
        str(outcome.skipped),
        str(len(outcome.workers)),
        f"{outcome.wall_s:.1f} s",
        f"{ran / outcome.wall_s:.1f} pt/s" if outcome.wall_s else "-",
    )
    out.print(table)
    for error, n in list(outcome.errors.items())[:5]:
        out.print(f"[red]{n} failed[/red]: {error}", highlight=False)
    if outcome.failed and not outcome.ok and not outcome.skipped:
        # Nothing valid was produced: that is an error, not a finished sweep.
        first = next(iter(outcome.errors), "")
        raise ArchsimError(
            f"sweep {outcome.name}: every point failed ({outcome.failed}); the first error: {first}"
        )
    if export is not None:
        _export(outcome.db, export)
    if plot is not None or html is not None:
        from archsim.dse.report import build_report

        _write_report(build_report(outcome.db), None, plot, html)


def _export(db: Path, target: Path) -> None:
    from archsim.dse.store import ResultStore

    store = ResultStore(db, read_only=True)
    try:
        out.print(f"exported to {store.export(target)}")
    finally:
        store.close()


def _write_report(rep, metric: str | None, plot: Path | None, html: Path | None) -> None:
    from archsim.dse.report import write_html, write_plots

    if plot is not None:
        for path in write_plots(rep.figures(metric), plot):
            out.print(f"wrote {path}")
    if html is not None:
        out.print(f"wrote {write_html(rep, rep.figures(metric), html)}")


def report(
    db: Annotated[Path, typer.Argument(help="DuckDB results file written by archsim sweep")],
    pareto: Annotated[
        str | None,
        typer.Option(help="two metrics X,Y, each optionally :min or :max (default: min)"),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(help="Pareto figure to FILE.png; the others beside it as FILE-<name>.png"),
    ] = None,
    html: Annotated[Path | None, typer.Option(help="one self-contained HTML page")] = None,
    metric: Annotated[
        str | None, typer.Option(help="metric of the sensitivity figure (default: X)")
    ] = None,
    export: Annotated[
        Path | None, typer.Option(help="write every row to this .parquet or .csv file")
    ] = None,
) -> None:
    """Summarise a results file: the Pareto front, figures, and an HTML page."""
    from archsim.dse.report import build_report

    if db.is_dir():
        raise ArchsimError(f"{db}: is a directory, not a results file")
    _check_outputs(None, export, plot, html)

    rep = build_report(db, pareto)
    if metric is not None:
        rep.sensitivity_metric(metric)  # a typo is an error even without --plot
    out.print(rep.summary())
    out.print(rep.pareto_table())
    _write_report(rep, metric, plot, html)
    if export is not None:
        _export(db, export)


def register(app: typer.Typer) -> None:
    app.command()(sweep)
    app.command()(report)
