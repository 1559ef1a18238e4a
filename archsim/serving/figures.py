"""Serving figures: latency CDFs of one run, and throughput and SLO attainment against the
request rate across runs (the knee: the highest rate that still meets the SLO)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from archsim.serving.requests import atomic_write

_SIDE_STYLE = {"baseline": ("tab:gray", "baseline"), "in_memory": ("tab:blue", "in-memory")}


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    atomic_write(path, lambda p: fig.savefig(p, dpi=120, format="png"))
    plt.close(fig)


def latency_cdf(result, path: Path) -> None:
    """TTFT, TPOT and end-to-end latency CDFs of each side, with the SLO targets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = result.config
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    panels = (
        ("ttft_s", "time to first token (s)", cfg.slo_ttft_s),
        ("tpot_s", "time per output token (ms)", cfg.slo_tpot_s),
        ("e2e_s", "end-to-end latency (s)", None),
    )
    for ax, (col, label, slo) in zip(axes, panels, strict=True):
        scale = 1e3 if col == "tpot_s" else 1.0
        for side in result.sides:
            v = np.sort(side.table[col][np.isfinite(side.table[col])]) * scale
            if not len(v):
                continue
            color, name = _SIDE_STYLE.get(side.label, ("tab:blue", side.system.name))
            ax.plot(v, np.arange(1, len(v) + 1) / len(v), color=color, label=name)
        if slo is not None:
            ax.axvline(slo * scale, color="tab:red", ls="--", lw=1, label="SLO")
        ax.set_xscale("log")  # the SLO targets sit decades above typical latencies
        ax.set_xlabel(label + ", log scale")
        ax.set_ylabel("fraction of requests")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    rate = f"{cfg.rate:g} req/s" if cfg.rate else "trace"
    fig.suptitle(
        f"{cfg.model} on {result.sides[-1].system.name}: {len(result.requests)} requests, {rate}"
    )
    fig.tight_layout()
    _save(fig, path)


def max_rate_meeting(points: list[tuple[float, dict]], attainment: float) -> float | None:
    """The highest rate whose SLO attainment is at least ``attainment``, below every rate that
    misses it (a rate that meets it after a miss is noise, not headroom)."""
    best = None
    for rate, summary in sorted(points, key=lambda p: p[0]):
        if summary["slo"]["attainment"] < attainment:
            break
        best = rate
    return best


def rate_sweep(series: dict[str, list[tuple[float, dict]]], path: Path, attainment: float,
               title: str) -> None:  # fmt: skip
    """Output tokens/s and SLO attainment against the offered rate, one line per side/system,
    with each one's knee (the highest rate meeting the SLO) marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (label, points) in enumerate(series.items()):
        pts = sorted(points, key=lambda p: p[0])
        rates = [r for r, _ in pts]
        color = colors[k % len(colors)]
        ax1.plot(rates, [s["throughput"]["tokens_per_s"] for _, s in pts], "o-", color=color,
                 label=label)  # fmt: skip
        ax2.plot(rates, [100 * s["slo"]["attainment"] for _, s in pts], "o-", color=color,
                 label=label)  # fmt: skip
        knee = max_rate_meeting(pts, attainment)
        if knee is not None:
            for ax in (ax1, ax2):
                ax.axvline(knee, color=color, ls=":", lw=1)
    ax2.axhline(100 * attainment, color="tab:red", ls="--", lw=1, label="attainment target")
    ax1.set_ylabel("throughput (output tokens/s)")
    ax2.set_ylabel("requests meeting the SLO (%)")
    for ax in (ax1, ax2):
        ax.set_xlabel("offered load (requests/s)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title + " (dotted: highest rate meeting the SLO)")
    fig.tight_layout()
    _save(fig, path)
