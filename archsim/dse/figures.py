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


def _log_if_wide(ax, values: list[float], axis: str) -> None:
    """A log axis when positive values span more than two decades."""
    pos = [v for v in values if v > 0]
    if pos and len(pos) == len(values) and max(pos) / min(pos) > 100:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")


def pareto(results: Results, x: Axis, y: Axis) -> Figure:
    rows = [r for r in results.ok if finite(r.get(x.metric)) and finite(r.get(y.metric))]
    front = pareto_front(rows, x, y)
    fig, ax = plt.subplots(figsize=(FIG_W, FIG_H))
    xs = [r[x.metric] for r in rows]
    ys = [r[y.metric] for r in rows]
    dom = [i for i, f in enumerate(front) if not f]
    on = sorted((i for i, f in enumerate(front) if f), key=lambda i: xs[i])
    ax.scatter([xs[i] for i in dom], [ys[i] for i in dom], alpha=DOMINATED_ALPHA, label="dominated")
    ax.plot([xs[i] for i in on], [ys[i] for i in on], "o-", color="C3", label="Pareto front")
    _log_if_wide(ax, xs, "x")
    _log_if_wide(ax, ys, "y")
    ax.set_xlabel(x.label)
    ax.set_ylabel(y.label)
    ax.set_title(f"Pareto front ({len(on)} of {len(rows)} points)")
    ax.legend()
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
    fig, ax = plt.subplots(figsize=(FIG_W, FIG_H))
    cmap = plt.get_cmap(COMPONENT_CMAP)
    labels, bottoms = [], [0.0] * (2 * len(rows))
    for ci, comp in enumerate(comps):
        heights = [_val(r, s, comp) for r in rows for s in _SIDES]
        ax.bar(range(len(heights)), heights, bottom=bottoms, label=comp, color=cmap(ci % cmap.N))
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    for r in rows:
        labels += [f"#{r['point']} base", f"#{r['point']} PIM"]
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("energy (pJ)")
    ax.set_title("Energy by component: baseline vs in-memory")
    ax.legend(fontsize=7, ncol=2)
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
    lo, hi = min(p[2] for p in points) / 4, max(p[2] for p in points) * 4
    xs = [lo * (hi / lo) ** (i / 50) for i in range(51)]
    for side, style in (("baseline", "-"), ("in_memory", "--")):
        peak = row.get(f"{side}.peak_flops")
        # The in-memory unit's roof is its own read bandwidth, not the host link's.
        bw = row.get(f"{side}.unit_bandwidth_gbps") or row.get(f"{side}.peak_bandwidth_gbps")
        if finite(peak) and finite(bw) and peak > 0 and bw > 0:
            roof = [min(peak, x * bw * 1e9) for x in xs]
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
    ax.set_xlabel("arithmetic intensity (FLOP / byte)")
    ax.set_ylabel("achieved FLOP/s")
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
    fig, ax = plt.subplots(figsize=(FIG_W, FIG_H))
    for i, metric in enumerate(acc):
        pts = [
            (r[energy], r[metric])
            for r in results.ok
            if finite(r.get(energy)) and finite(r.get(metric))
        ]
        if pts:
            ax.scatter(*zip(*pts, strict=True), color=f"C{i}", label=metric)
    ax.set_xlabel(f"{energy} (pJ)")
    ax.set_ylabel("accuracy metric")
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
    for ax, param in zip(axes.flat, params, strict=False):
        pts = [
            (r[param], r[metric])
            for r in results.ok
            if r.get(param) is not None and finite(r.get(metric))
        ]
        values = sorted({p for p, _ in pts}, key=_sort_key)
        pos = {v: i for i, v in enumerate(values)}
        numeric = all(isinstance(v, int | float) for v in values)
        ax.scatter([p if numeric else pos[p] for p, _ in pts], [m for _, m in pts], alpha=0.4, s=12)
        if len(values) <= MAX_MEAN_LEVELS:  # a level per value; a continuous draw has none
            means = [
                sum(m for p, m in pts if p == v) / sum(1 for p, _ in pts if p == v) for v in values
            ]
            ax.plot([v if numeric else pos[v] for v in values], means, "-", color="C3")
        if not numeric:
            labels = [_short(str(v)) for v in values]
            ax.set_xticks(range(len(values)), labels, rotation=30, fontsize=7)
        elif len(values) > 1:
            _log_if_wide(ax, [float(v) for v in values], "x")
        ax.set_xlabel(param, fontsize=8)
        ax.tick_params(labelsize=7)
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
