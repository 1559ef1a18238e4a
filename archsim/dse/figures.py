"""The report's figures (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import json
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from archsim.dse.analysis import Axis, Results, finite, pareto_front

# Bars in the energy breakdown: a readable number of point pairs.
MAX_BREAKDOWN_POINTS = 6
# Faint, for dominated points.
DOMINATED_ALPHA = 0.2
FIG_W, FIG_H = 7.0, 4.5
# The roofline's x range: this factor beyond the ops' intensities, drawn with this many samples.
ROOF_SPAN, ROOF_SAMPLES = 10.0, 60
# Up to 20 energy components with distinct colours.
COMPONENT_CMAP = "tab20"
# Sensitivity: the mean line is drawn when a parameter takes at most this many values.
MAX_MEAN_LEVELS = 12
# Longer category labels are cut in the middle on the axis (names differ at both ends).
MAX_LABEL = 24


# Metric name endings -> (SI base unit, prefixes to choose from, scale of the stored value to SI).
_UNITS = (
    ("energy_pj", "J", ("p", "n", "µ", "m", ""), 1e-12),
    ("time_ns", "s", ("n", "µ", "m", ""), 1e-9),
    ("_ns", "s", ("n", "µ", "m", ""), 1e-9),
    ("_gbps", "B/s", ("G", "T"), 1e9),
    ("flops", "FLOP/s", ("", "k", "M", "G", "T", "P"), 1.0),
    ("bytes_moved", "B", ("", "k", "M", "G", "T"), 1.0),
    ("_bytes", "B", ("", "k", "M", "G", "T"), 1.0),
    ("_usd", "$", ("µ", "m", ""), 1.0),
    ("gco2e", "gCO2e", ("",), 1.0),
)
_PREFIX = {"p": 1e-12, "n": 1e-9, "µ": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9,
           "T": 1e12, "P": 1e15}  # fmt: skip
# Ratios of the comparison (speedup, energy_reduction, ...) and analog errors carry no unit.
_RATIO = ("comparison.", "reduction", "speedup", "rel_error", "accuracy.", "busy.", "row_hit")


def metric_scale(metric: str, values: list[float]) -> tuple[float, str]:
    """(factor to multiply stored values by, unit) for axis labels: energy in the prefix that
    suits the values (mJ, not pJ with a 1e9 offset), times in ns..s, ratios as x."""
    for key, base, prefixes, to_si in _UNITS:
        if key in metric.split(".")[-1] or key in metric:
            mags = sorted(abs(v) * to_si for v in values if finite(v) and v)
            typical = mags[len(mags) // 2] if mags else to_si
            chosen = prefixes[0]
            for p in prefixes:
                if typical >= _PREFIX[p]:
                    chosen = p
            return to_si / _PREFIX[chosen], f"{chosen}{base}"
    if any(k in metric for k in _RATIO):
        return 1.0, "x" if "comparison." in metric or "speedup" in metric else "fraction"
    return 1.0, ""


def axis_label(metric: str, unit: str, goal: str | None = None) -> str:
    text = metric if not unit else f"{metric} ({unit})"
    if goal is not None:
        text += f", {'lower' if goal == 'min' else 'higher'} is better"
    return text


# Parameters that name what a point is (its colour in the Pareto figure), most telling first.
_GROUP_PARAMS = ("system", "workload", "workload.model", "workload.batch", "workload.generator")


def _group_param(results: Results) -> str | None:
    """The parameter whose values colour the points: a named one above, else any swept
    parameter with 2-10 distinct values."""
    counts = {p: len({str(r.get(p)) for r in results.ok}) for p in results.params}
    for p in _GROUP_PARAMS:
        if 2 <= counts.get(p, 0) <= 10:
            return p
    for p, n in counts.items():
        if 2 <= n <= 10:
            return p
    return None


def _plain_ticks(ax) -> None:
    """No offset or scientific multiplier on linear axes (a '1e9' in the corner is unreadable)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter, ScalarFormatter

    for axis in (ax.xaxis, ax.yaxis):
        formatter = axis.get_major_formatter()
        if axis.get_scale() == "linear" and isinstance(formatter, ScalarFormatter):
            formatter.set_useOffset(False)
            formatter.set_scientific(False)
        elif axis.get_scale() == "log":
            # Plain numbers on the decades; on the minor ticks only when the axis spans less
            # than two decades (more overlapped into an unreadable row).
            plain = FuncFormatter(lambda v, _: f"{v:g}")
            lo, hi = sorted(abs(v) for v in axis.get_view_interval())
            axis.set_major_formatter(plain)
            narrow = lo > 0 and hi / lo < 100
            axis.set_minor_formatter(
                FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "25" else "")
                if narrow
                else NullFormatter()
            )


def _log_if_wide(ax, values: list[float], axis: str) -> None:
    """A log axis when positive values span more than two decades."""
    pos = [v for v in values if v > 0]
    if pos and len(pos) == len(values) and max(pos) / min(pos) > 100:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def pareto(results: Results, x: Axis, y: Axis) -> Figure:
    """Every point, coloured by what it is (system, workload, or another swept parameter with
    a few values), the Pareto-optimal ones ringed and joined; axes in readable units."""
    rows = [r for r in results.ok if finite(r.get(x.metric)) and finite(r.get(y.metric))]
    front = pareto_front(rows, x, y)
    fig, ax = plt.subplots(figsize=(FIG_W, FIG_H))
    fx, ux = metric_scale(x.metric, [r[x.metric] for r in rows])
    fy, uy = metric_scale(y.metric, [r[y.metric] for r in rows])
    xs = [r[x.metric] * fx for r in rows]
    ys = [r[y.metric] * fy for r in rows]
    group = _group_param(results)
    keys = [str(r.get(group)) if group else "points" for r in rows]
    for gi, key in enumerate(dict.fromkeys(keys)):
        idx = [i for i, k in enumerate(keys) if k == key]
        label = f"{group} = {_short(key)}" if group else "points"
        ax.scatter([xs[i] for i in idx], [ys[i] for i in idx], color=f"C{gi % 10}", s=22,
                   alpha=0.8, label=label)  # fmt: skip
    on = sorted((i for i, f in enumerate(front) if f), key=lambda i: xs[i])
    ax.plot([xs[i] for i in on], [ys[i] for i in on], "-", color="k", lw=1, zorder=1)
    ax.scatter([xs[i] for i in on], [ys[i] for i in on], s=90, facecolors="none",
               edgecolors="k", lw=1.2, label=f"Pareto-optimal ({len(on)})", zorder=3)  # fmt: skip
    _log_if_wide(ax, xs, "x")
    _log_if_wide(ax, ys, "y")
    _plain_ticks(ax)
    ax.set_xlabel(axis_label(x.metric, ux, x.goal))
    ax.set_ylabel(axis_label(y.metric, uy, y.goal))
    ax.set_title(f"Pareto front: {len(on)} of {len(rows)} points")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def energy_breakdown(results: Results, rows: list[dict]) -> Figure | None:
    """Stacked energy by component, baseline vs in-memory, for a few points."""
    rows = rows[:MAX_BREAKDOWN_POINTS]
    comps = sorted(
        {
            m.split(".", 2)[2]
            for m in results.metrics
            if m.startswith(("baseline.energy_pj.", "in_memory.energy_pj."))
            and not m.endswith(".total")
        }
    )
    if not rows or not comps:
        return None
    comps = [c for c in comps if any(_val(r, s, c) > 0 for r in rows for s in _SIDES)]
    totals = [sum(_val(r, s, c) for c in comps) for r in rows for s in _SIDES]
    scale, unit = metric_scale("energy_pj", totals)
    fig, ax = plt.subplots(figsize=(FIG_W, FIG_H))
    cmap = plt.get_cmap(COMPONENT_CMAP)
    labels, bottoms = [], [0.0] * (2 * len(rows))
    for ci, comp in enumerate(comps):
        heights = [_val(r, s, comp) * scale for r in rows for s in _SIDES]
        ax.bar(range(len(heights)), heights, bottom=bottoms, label=comp, color=cmap(ci % cmap.N))
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    for r in rows:
        labels += [f"#{r['point']} base", f"#{r['point']} PIM"]
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(f"energy per run ({unit})")
    ax.set_xlabel("sweep point and side")
    _plain_ticks(ax)
    ax.set_title("Energy by component: baseline vs in-memory")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="component")
    fig.tight_layout()
    return fig


_SIDES = ("baseline", "in_memory")


def _val(row: dict, side: str, comp: str) -> float:
    v = row.get(f"{side}.energy_pj.{comp}")
    return float(v) if finite(v) else 0.0


def roofline(row: dict) -> Figure | None:
    """The ops of one point on both sides' rooflines, coloured by the unit that ran them.

    An op on the host is placed by the bytes it moved over the host link (operands already on
    chip cost none); an op on the in-memory unit by the bytes it read and wrote in memory.
    """
    if not row.get("ops"):
        return None
    ops = json.loads(row["ops"])
    # (side, unit, intensity, achieved FLOP/s) of every op that moved memory bytes.
    points = []
    for op in ops:
        for side in _SIDES:
            rec = op[side]
            moved = rec["host_link_bytes"] if rec["unit"] == "host" else op["bytes"]
            if moved > 0 and op["flops"] > 0 and rec["time_ns"] > 0:
                points.append(
                    (side, rec["unit"], op["flops"] / moved, op["flops"] / (rec["time_ns"] * 1e-9))
                )
    if not points:
        return None
    fig, ax = plt.subplots(figsize=(FIG_W, FIG_H))
    fscale, funit = metric_scale("flops", [p[3] for p in points])
    points = [(s, u, i, f * fscale) for s, u, i, f in points]
    lo, hi = min(p[2] for p in points) / 4, max(p[2] for p in points) * 4
    xs = [lo * (hi / lo) ** (i / 50) for i in range(51)]
    for side, style in (("baseline", "-"), ("in_memory", "--")):
        peak = row.get(f"{side}.peak_flops")
        # The in-memory unit's roof is its own read bandwidth, not the host link's.
        bw = row.get(f"{side}.unit_bandwidth_gbps") or row.get(f"{side}.peak_bandwidth_gbps")
        if finite(peak) and finite(bw) and peak > 0 and bw > 0:
            roof = [min(peak, x * bw * 1e9) * fscale for x in xs]
            ax.plot(xs, roof, style, color="k", lw=1, label=f"{side} roof")
    units = sorted({p[1] for p in points})
    markers = {"baseline": "o", "in_memory": "^"}
    for side in _SIDES:
        for ui, unit in enumerate(units):
            pts = [(p[2], p[3]) for p in points if p[0] == side and p[1] == unit]
            if pts:
                ax.scatter(
                    *zip(*pts, strict=True),
                    marker=markers[side],
                    color=f"C{ui}",
                    label=f"{side}: on {unit}",
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_ticks(ax)
    ax.set_xlabel("arithmetic intensity (FLOP/B)")
    ax.set_ylabel(f"achieved compute ({funit})")
    ax.grid(alpha=0.3, which="both")
    ax.set_title(f"Roofline of point #{row['point']}'s ops, and where each ran")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def accuracy_vs_energy(results: Results) -> Figure | None:
    """Present only when a sweep reports an accuracy metric (analog compute)."""
    acc = [m for m in results.metrics if ".accuracy." in m and results.numeric(m)]
    if not acc:
        return None
    energy = "in_memory.energy_pj.total"
    scale, unit = metric_scale(energy, [r.get(energy) for r in results.ok])
    fig, ax = plt.subplots(figsize=(FIG_W, FIG_H))
    for i, metric in enumerate(acc):
        pts = [
            (r[energy] * scale, r[metric])
            for r in results.ok
            if finite(r.get(energy)) and finite(r.get(metric))
        ]
        if pts:
            ax.scatter(*zip(*pts, strict=True), color=f"C{i}", label=metric)
    ax.set_xlabel(axis_label(energy, unit))
    ax.set_ylabel("relative error (fraction)")
    _plain_ticks(ax)
    ax.set_title("Accuracy vs energy")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def sensitivity(results: Results, metric: str) -> Figure | None:
    """``metric`` against each swept parameter (points, and the mean per value)."""
    params = [p for p in results.params if any(r.get(p) is not None for r in results.ok)]
    if not params or not results.numeric(metric):
        return None
    cols = min(len(params), 3)
    nrows = math.ceil(len(params) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(FIG_W, 2.6 * nrows + 0.6), squeeze=False)
    scale, unit = metric_scale(metric, [r.get(metric) for r in results.ok])
    for ax, param in zip(axes.flat, params, strict=False):
        pts = [
            (r[param], r[metric] * scale)
            for r in results.ok
            if r.get(param) is not None and finite(r.get(metric))
        ]
        values = sorted({p for p, _ in pts}, key=_sort_key)
        pos = {v: i for i, v in enumerate(values)}
        numeric = all(isinstance(v, int | float) for v in values)
        ax.scatter([p if numeric else pos[p] for p, _ in pts], [m for _, m in pts], alpha=0.4, s=12,
                   label="points")  # fmt: skip
        # The mean per value, joined only along a numeric axis: a line across categories
        # (systems, workloads) would suggest an order they do not have.
        if len(values) <= MAX_MEAN_LEVELS:
            means = [
                sum(m for p, m in pts if p == v) / sum(1 for p, _ in pts if p == v) for v in values
            ]
            style = "-" if numeric else "_"
            ax.plot([v if numeric else pos[v] for v in values], means, style, color="C3",
                    ms=14, mew=2, label="mean per value")  # fmt: skip
        if not numeric:
            labels = [_short(str(v)) for v in values]
            ax.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=7)
        elif len(values) > 1:
            _log_if_wide(ax, [float(v) for v in values], "x")
        _plain_ticks(ax)
        ax.set_xlabel(param, fontsize=8)
        ax.set_ylabel(axis_label(metric.rsplit(".", 1)[-1], unit), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7)
    for ax in list(axes.flat)[len(params) :]:
        ax.set_visible(False)
    fig.suptitle(f"Sensitivity of {metric} to each swept parameter", fontsize=10)
    fig.tight_layout()
    return fig


def _sort_key(v: Any) -> tuple:
    return (0, float(v), "") if isinstance(v, int | float) else (1, 0.0, str(v))


def _short(label: str) -> str:
    if len(label) <= MAX_LABEL:
        return label
    head = MAX_LABEL // 2 - 1
    return f"{label[:head]}...{label[-(MAX_LABEL - head - 3) :]}"
