"""The ``serve`` point kind of ``archsim sweep``.

A sweep whose workload is a mapping with ``kind: serve`` runs :func:`archsim.serving.serve.serve`
at each point; ``workload.<field>`` parameters set :class:`ServeConfig` fields (``rate``,
``max_batch``, ``model``, ...), and ``system`` picks the system as for any sweep. Each point's
metrics are its summary, flattened: ``in_memory.throughput.tokens_per_s``,
``baseline.slo.attainment``, ``in_memory.tco.cost_usd_per_1m_tokens``, ``comparison.*``.
:func:`max_rate_meeting_slo` reads a results store back and gives, per system (and per any other
swept parameter), the highest rate whose SLO attainment meets the target.
"""

from __future__ import annotations

from typing import Any

KIND = "serve"


def is_serve(workload: Any) -> bool:
    return isinstance(workload, dict) and workload.get("kind") == KIND


def paths() -> dict[str, bool]:
    """``workload.<field>`` paths a serve sweep may set."""
    from archsim.serving.serve import ServeConfig

    return {f"workload.{k}": False for k in ServeConfig.model_fields}


def run_point(system, workload: dict[str, Any], seed: int) -> dict[str, Any]:
    """One serve point: the summary's sides and comparison as a nested mapping of metrics."""
    from archsim.serving.serve import serve, serve_config

    values = {k: v for k, v in workload.items() if k != "kind"}
    values.setdefault("seed", seed)
    result = serve(system, serve_config(**values))
    summary = result.summary()
    out: dict[str, Any] = dict(summary["sides"])
    if "comparison" in summary:
        out["comparison"] = summary["comparison"]
    for side in out.values():
        side.pop("system", None)
        side.get("requests", {}).pop("drop_reasons", None)
    return out


def max_rate_meeting_slo(
    rows: list[dict[str, Any]],
    side: str,
    attainment: float = 0.9,
    by: tuple[str, ...] = ("system",),
) -> dict[tuple, float | None]:
    """Per group of ``by`` values: the highest ``workload.rate`` whose ``{side}.slo.attainment``
    is at least ``attainment``, below every rate that misses it."""
    groups: dict[tuple, list[tuple[float, float]]] = {}
    for row in rows:
        rate, got = row.get("workload.rate"), row.get(f"{side}.slo.attainment")
        if rate is None or got is None:
            continue
        groups.setdefault(tuple(row.get(b) for b in by), []).append((float(rate), float(got)))
    out: dict[tuple, float | None] = {}
    for key, points in groups.items():
        best = None
        for rate, got in sorted(points):
            if got < attainment:
                break
            best = rate
        out[key] = best
    return out
