"""``archsim run --timeline F.png``: a Gantt chart of each side's resources over time."""

from __future__ import annotations

from pathlib import Path

ROWS = ("host", "unit", "channels", "link", "interconnect")
_SCALES = ((1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns"))


def _scale(span_ns: float) -> tuple[float, str]:
    for factor, unit in _SCALES:
        if span_ns >= 2 * factor:
            return factor, unit
    return 1.0, "ns"


def plot_timeline(timeline: dict, path: Path, title: str) -> None:
    """Draw the holds of every op per resource, one panel per side, coloured by op kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sides = [s for s in ("baseline", "in_memory") if s in timeline]
    span = max(timeline[s]["makespan_ns"] for s in sides)
    factor, unit = _scale(span)
    kinds = sorted({op["kind"] for s in sides for op in timeline[s]["ops"]})
    cmap = plt.get_cmap("tab10" if len(kinds) <= 10 else "tab20")
    colour = {k: cmap(i % cmap.N) for i, k in enumerate(kinds)}
    fig, axes = plt.subplots(
        len(sides), 1, figsize=(11, 1.6 + 1.1 * len(ROWS) * len(sides)), sharex=True, squeeze=False
    )
    for ax, side in zip(axes[:, 0], sides, strict=True):
        data = timeline[side]
        used = [r for r in ROWS if data["busy_ns"].get(r, 0) > 0]
        rows = {r: i for i, r in enumerate(used)}
        for op in data["ops"]:
            for hold in op["holds"]:
                if hold["resource"] not in rows:
                    continue
                y = rows[hold["resource"]]
                start = hold["start_ns"] / factor
                width = max((hold["end_ns"] - hold["start_ns"]) / factor, 0.0)
                ax.broken_barh(
                    [(start, width)],
                    (y - 0.38, 0.76),
                    facecolors=colour[op["kind"]],
                    edgecolor="black",
                    linewidth=0.3,
                )
        ax.set_yticks(range(len(used)))
        ax.set_yticklabels(
            [f"{r} ({data['busy_ns'][r] / data['makespan_ns']:.0%} busy)" for r in used]
        )
        ax.set_ylim(-0.6, len(used) - 0.4)
        ax.invert_yaxis()
        label = "baseline (Von Neumann)" if side == "baseline" else "in-memory system"
        ax.set_title(
            f"{label}: {data['makespan_ns'] / factor:,.3g} {unit}", loc="left", fontsize=10
        )
        ax.grid(axis="x", alpha=0.3)
    axes[-1, 0].set_xlabel(f"time ({unit})")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour[k]) for k in kinds]
    fig.legend(handles, kinds, title="op kind", loc="upper right", fontsize=8, ncol=1)
    fig.suptitle(title, x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 0.88, 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=130)
    plt.close(fig)
    tmp.replace(path)
