"""``archsim report DB``: tables in the terminal, figures as PNG files, one self-contained HTML."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml
from rich.table import Table

from archsim.dse.analysis import (
    Axis,
    Results,
    default_metric,
    load_results,
    pareto_front,
    parse_axes,
    require_metric,
)
from archsim.errors import ArchsimError
from archsim.outputs import atomic_write, write_text
from archsim.version import __version__

# Pareto points listed in the table (the figure shows all).
MAX_TABLE_ROWS = 20
DPI = 110


@dataclass
class Report:
    results: Results
    x: Axis
    y: Axis
    front: list[dict] = field(default_factory=list)

    def summary(self) -> Table:
        t = Table(title="sweep results")
        for col in ("sweep", "points", "ok", "failed", "mean wall per point"):
            t.add_column(col, justify="right" if col != "sweep" else "left")
        for name in sorted({r["sweep"] for r in self.results.rows}):
            rows = [r for r in self.results.rows if r["sweep"] == name]
            ok = [r for r in rows if r["status"] == "ok"]
            wall = sum(r["wall_s"] or 0.0 for r in ok) / len(ok) if ok else 0.0
            t.add_row(
                name, str(len(rows)), str(len(ok)), str(len(rows) - len(ok)), f"{wall * 1e3:.1f} ms"
            )
        return t

    def pareto_table(self) -> Table:
        t = Table(
            title=f"Pareto front: {self.x.metric} ({self.x.goal}) vs {self.y.metric}"
            f" ({self.y.goal})"
        )
        cols = ["point", "seed", *self.results.params, self.x.metric, self.y.metric]
        for c in cols:
            t.add_column(c, justify="right")
        for r in self.front[:MAX_TABLE_ROWS]:
            t.add_row(*[_fmt(r.get(c)) for c in cols])
        return t

    def failures(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results.rows:
            if r["status"] != "ok":
                out[str(r["error"])] = out.get(str(r["error"]), 0) + 1
        return out

    def sensitivity_metric(self, metric: str | None) -> str:
        """--metric, else the sweep's report.metric, else the Pareto X axis."""
        if metric is not None:
            return require_metric(self.results, metric, "--metric")
        chosen = default_metric(self.results)
        if chosen is not None:
            return require_metric(self.results, chosen, "report.metric of the sweep")
        return self.x.metric

    def figures(self, metric: str | None = None) -> dict[str, object]:
        from archsim.dse import figures as f

        # The front first, then the other points in order of X, for the per-point figures.
        rest = [r for r in self.results.ok if r not in self.front]
        picks = self.front + sorted(rest, key=lambda r: _order(r.get(self.x.metric), self.x))
        out = {
            "pareto": f.pareto(self.results, self.x, self.y),
            "energy": f.energy_breakdown(self.results, picks),
            "roofline": f.roofline(picks[0]) if picks else None,
            "accuracy": f.accuracy_vs_energy(self.results),
            "sensitivity": f.sensitivity(self.results, self.sensitivity_metric(metric)),
        }
        return {k: v for k, v in out.items() if v is not None}


def build_report(db: str | Path, pareto: str | None = None) -> Report:
    results = load_results(db)
    if not results.ok:
        failed = [r for r in results.rows if r["status"] != "ok"]
        example = f"; the first error: {failed[0]['error']}" if failed else ""
        raise ArchsimError(f"{db}: no point finished ok ({len(failed)} failed){example}")
    x, y = parse_axes(pareto, results)
    ok = results.ok
    mask = pareto_front(ok, x, y)
    front = sorted((r for r, m in zip(ok, mask, strict=True) if m), key=lambda r: r[x.metric])
    return Report(results, x, y, front)


def write_plots(figs: dict[str, object], target: Path) -> list[Path]:
    """The Pareto figure to ``target``; the others beside it as ``<stem>-<name><suffix>``."""
    import matplotlib.pyplot as plt

    written = []
    for name, fig in figs.items():
        path = (
            target if name == "pareto" else target.with_name(f"{target.stem}-{name}{target.suffix}")
        )
        with atomic_write(path) as tmp:
            fig.savefig(tmp, dpi=DPI, format=path.suffix.lstrip(".").lower())
        written.append(path)
    for fig in figs.values():
        plt.close(fig)
    return written


def write_html(report: Report, figs: dict[str, object], target: Path) -> Path:
    """One page with every table and figure inline (base64 PNG): no files beside it."""
    import matplotlib.pyplot as plt

    parts = [
        "<!doctype html><meta charset='utf-8'><title>archsim sweep report</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
        "padding:2px 6px;text-align:right}img{max-width:100%}</style>",
        "<h1>archsim sweep report</h1>",
        f"<p>archsim {html.escape(__version__)}, written"
        f" {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>",
        _html_table(report.summary()),
        _html_table(report.pareto_table()),
    ]
    failures = report.failures()
    if failures:
        parts.append("<h2>failed points</h2><table><tr><th>count</th><th>error</th></tr>")
        parts += [
            f"<tr><td>{n}</td><td style='text-align:left'>{html.escape(e)}</td></tr>"
            for e, n in failures.items()
        ]
        parts.append("</table>")
    for name, spec in report.results.specs.items():
        text = yaml.safe_dump(spec, sort_keys=False, default_flow_style=None)
        parts.append(
            f"<h2>sweep spec: {html.escape(name)}</h2>"
            f"<pre style='text-align:left'>{html.escape(text)}</pre>"
        )
    for name, fig in figs.items():
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        data = base64.b64encode(buf.getvalue()).decode()
        parts.append(
            f"<h2>{html.escape(name)}</h2><img alt='{name}' src='data:image/png;base64,{data}'>"
        )
        plt.close(fig)
    write_text(target, "\n".join(parts) + "\n")
    return target


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(str(c.header))}</th>" for c in table.columns)
    cells = [list(c.cells) for c in table.columns]
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(col[i]))}</td>" for col in cells) + "</tr>"
        for i in range(table.row_count)
    )
    return f"<h2>{html.escape(str(table.title))}</h2><table><tr>{head}</tr>{body}</table>"


def _order(v, axis: Axis) -> float:
    if not isinstance(v, int | float):
        return float("inf")
    return v if axis.goal == "min" else -v


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "-" if v is None else str(v)
