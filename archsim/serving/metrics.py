"""Serving metrics from a scheduler timeline: latency percentiles, throughput, SLO attainment,
goodput, busy fractions, energy, and cost and carbon per 1M tokens at the served load.

Definitions (as in vLLM's and DistServe's benchmarks):
* TTFT: first token time minus arrival; queueing delay: first scheduled minus arrival.
* TPOT: (finish - first token) / (output tokens - 1), for requests with at least 2 tokens.
* A request meets the SLO when TTFT <= ``slo_ttft_s`` and TPOT <= ``slo_tpot_s``; dropped
  requests miss it. Goodput: requests (and their output tokens) per second that meet it.
* Throughput: output tokens (and finished requests) per second of the serving window, from 0 to
  the last departure or arrival.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from archsim.config.system import SystemConfig
from archsim.serving.requests import Requests
from archsim.serving.scheduler import Timeline

PERCENTILES = (50, 90, 99)


def _stats(values: np.ndarray) -> dict[str, float | None]:
    values = values[np.isfinite(values)]
    if not len(values):
        return {"mean": None, **{f"p{p}": None for p in PERCENTILES}}
    out: dict[str, float | None] = {"mean": float(values.mean())}
    for p, v in zip(PERCENTILES, np.percentile(values, PERCENTILES), strict=True):
        out[f"p{p}"] = float(v)
    return out


def per_request(req: Requests, tl: Timeline) -> dict[str, np.ndarray]:
    """The per-request table: one row per request, NaN where a time does not apply."""
    ttft = tl.first_token_s - req.arrival_s
    out = req.output_tokens
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(out > 1, (tl.finish_s - tl.first_token_s) / (out - 1), np.nan)
    status = np.array(["finished"] * len(req), dtype=object)
    reason = np.array([""] * len(req), dtype=object)
    for i, why in tl.dropped.items():
        status[i] = "dropped"
        reason[i] = why
    return {
        "request": np.arange(len(req)),
        "arrival_s": req.arrival_s,
        "prompt_tokens": req.prompt_tokens,
        "output_tokens": req.output_tokens,
        "status": status,
        "drop_reason": reason,
        "queue_s": tl.first_scheduled_s - req.arrival_s,
        "ttft_s": ttft,
        "tpot_s": tpot,
        "e2e_s": tl.finish_s - req.arrival_s,
        "finish_s": tl.finish_s,
        "preemptions": tl.preemptions,
        "generated_tokens": tl.generated,
    }


def summarize(
    req: Requests,
    tl: Timeline,
    slo_ttft_s: float,
    slo_tpot_s: float,
    background_w: float,
    devices: int = 1,
    background_counts: dict[str, float] | None = None,
) -> dict:
    """The summary of one side (a system serving one request stream)."""
    table = per_request(req, tl)
    done = table["status"] == "finished"
    n_done = int(done.sum())
    duration = tl.end_s if tl.end_s > 0 else 1e-12
    tokens = int(tl.generated.sum())
    tpot = np.where(np.isnan(table["tpot_s"]), 0.0, table["tpot_s"])  # 1-token outputs meet it
    meets = done & (table["ttft_s"] <= slo_ttft_s) & (tpot <= slo_tpot_s)
    idle_s = max(duration * devices - tl.busy_s, 0.0)
    # Background power runs through the iterations (charged in their energy), through the
    # swap copies the scheduler adds to them, and while idle.
    energy_j = tl.energy_j + background_w * (idle_s + tl.swap_s)
    # The action counts behind that energy: the iterations' dynamic work, plus wall time.
    actions = dict(tl.actions)
    for k, per_s in (background_counts or {}).items():
        actions[k] = actions.get(k, 0.0) + per_s * (tl.busy_s + idle_s)
    reasons = Counter(
        "longer than the KV cache" if "KV cache" in r else "longer than the model's context"
        for r in tl.dropped.values()
    )
    return {
        "requests": {
            "arrived": len(req),
            "finished": n_done,
            "dropped": len(tl.dropped),
            "drop_reasons": dict(reasons),
            "preempted": int((tl.preemptions > 0).sum()),
        },
        "tokens": {
            "prompt": int(req.prompt_tokens[done].sum()),
            "output": tokens,
            "requested_output_of_finished": int(req.output_tokens[done].sum()),
            "recomputed": tl.recomputed_tokens,
        },
        "duration_s": duration,
        "throughput": {"tokens_per_s": tokens / duration, "requests_per_s": n_done / duration},
        "latency_s": {
            "ttft": _stats(table["ttft_s"][done]),
            "tpot": _stats(table["tpot_s"][done]),
            "e2e": _stats(table["e2e_s"][done]),
            "queue": _stats(table["queue_s"][done]),
        },
        "slo": {
            "ttft_s": slo_ttft_s,
            "tpot_s": slo_tpot_s,
            "attainment": float(meets.sum() / len(req)),
            "goodput_requests_per_s": float(meets.sum() / duration),
            "goodput_tokens_per_s": float(req.output_tokens[meets].sum() / duration),
        },
        "busy": {
            "any": tl.busy_s / (duration * devices),
            "host": tl.host_s / (duration * devices),
            "pim": tl.pim_s / (duration * devices),
        },
        "iterations": tl.iterations,
        "max_running": tl.max_running,
        "mean_batch_tokens": float(np.mean(tl.batch_tokens)) if tl.batch_tokens else 0.0,
        "swap": {"time_s": tl.swap_s, "bytes": tl.swapped_bytes},
        "little": {
            "occupancy_from_log": float(np.nansum(np.where(done, table["e2e_s"], 0.0)) / duration),
            "occupancy_time_averaged": tl.occupancy_area / duration,
        },
        "energy": {
            "total_j": energy_j,
            "iterations_j": tl.energy_j,
            "idle_j": energy_j - tl.energy_j,
            "per_output_token_j": energy_j / tokens if tokens else None,
        },
        "actions": dict(sorted(actions.items())),
    }


def tco_at_load(
    system: SystemConfig, summary: dict, busy_s: float, devices: int = 1
) -> dict | None:
    """Cost and gCO2e per 1M output tokens at the served load.

    The TCO model amortizes capex over the busy time divided by the utilization; feeding it the
    measured busy fraction charges each token its share of the whole serving window (idle time
    included), and the measured energy (idle power included).
    """
    from archsim.energy.per_unit import tco_report

    if system.tco is None:
        return None
    tokens = summary["tokens"]["output"]
    duration = summary["duration_s"]
    if tokens == 0 or busy_s <= 0:
        return None
    utilization = min(busy_s / (duration * devices), 1.0)
    tco = system.tco.model_copy(update={"utilization": utilization})
    per_device_busy_ns = busy_s / devices * 1e9
    report = tco_report(
        system, tco, per_device_busy_ns, summary["energy"]["total_j"] / devices * 1e12, tokens, 1
    )
    run = report.per_inference
    scale = devices * 1e6 / tokens
    return {
        "cost_usd_per_1m_tokens": run.cost_usd * scale,
        "capex_usd_per_1m_tokens": run.capex_usd * scale,
        "opex_usd_per_1m_tokens": run.opex_usd * scale,
        "gco2e_per_1m_tokens": run.gco2e * scale,
        "utilization": utilization,
        "devices": devices,
        "capex_usd": report.capex_usd["total"] * devices,  # all of the deployment's devices
        "region": report.region,
    }
