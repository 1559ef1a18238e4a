"""``archsim serve``: a request stream served by a system and by its baseline.

:func:`serve` builds the request stream (a trace or a generator), sizes the paged KV cache,
runs the iteration-level scheduler with per-iteration costs from :mod:`archsim.serving.cost`
on each side, and summarizes (:mod:`archsim.serving.metrics`). With ``disaggregate`` the
prefill and decode phases run on two device groups (Splitwise, ISCA 2024; DistServe, OSDI
2024): the prefill group serves prompts, the KV cache moves to the decode group over the KV
link, and the decode group generates the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, ValidationError

from archsim.config.base import Model
from archsim.config.system import SystemConfig
from archsim.errors import ConfigError
from archsim.serving.cost import add_counts_into
from archsim.serving.requests import Requests, atomic_write, write_table
from archsim.serving.scheduler import SchedulerConfig, Timeline, schedule


class ServeConfig(Model):
    """What to serve and how (every field has a CLI option and a sweep parameter)."""

    model: str = Field("llama2-7b", description="LLM preset")
    dtype: str = Field("fp16", description="weights, activations and KV cache")
    rate: float | None = Field(None, description="requests/s (generated stream)")
    requests: int = Field(1000, ge=1, description="requests to generate")
    arrival: Literal["poisson", "gamma"] = "poisson"
    cv: float = Field(2.0, gt=0, description="gamma arrivals: coefficient of variation of gaps")
    prompt: str = Field("sharegpt", description="prompt length distribution")
    output: str = Field("sharegpt", description="output length distribution")
    trace: str | None = Field(None, description="request trace file (instead of a generator)")
    seed: int = Field(0, ge=0)
    max_batch: int = Field(256, ge=1, description="requests per iteration")
    max_tokens: int = Field(2048, ge=1, description="tokens per iteration")
    prefill: Literal["chunked", "whole"] = "chunked"
    preemption: Literal["recompute", "swap"] = "recompute"
    swap_bandwidth_gbps: float = Field(25.0, gt=0, description="swap link, GB/s [assumption]")
    block_tokens: int = Field(16, ge=1, description="KV block size (vLLM default 16)")
    memory_fraction: float = Field(0.9, gt=0, le=1, description="memory weights + KV may use")
    slo_ttft_s: float = Field(2.0, gt=0)
    slo_tpot_s: float = Field(0.1, gt=0)
    bucketing: bool = Field(True, description="memoize iteration costs on a grid")
    cache: bool = Field(True, description="keep simulated iteration costs on disk")
    disaggregate: bool = Field(False, description="prefill and decode on separate devices")
    kv_link_gbps: float = Field(
        50.0, gt=0, description="disaggregated KV transfer, GB/s [assumption: 400 Gb/s NIC]"
    )

    def scheduler(self) -> SchedulerConfig:
        return SchedulerConfig(
            max_batch=self.max_batch,
            max_tokens=self.max_tokens,
            prefill=self.prefill,
            preemption=self.preemption,
            swap_bandwidth_bytes_per_s=self.swap_bandwidth_gbps * 1e9,
        )


def serve_config(**values) -> ServeConfig:
    """A ServeConfig from keyword values; errors name the field."""
    from archsim.config.presets import format_validation_error

    try:
        return ServeConfig(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(f"serve: invalid settings\n{format_validation_error(exc)}") from None


def load_requests(cfg: ServeConfig) -> Requests:
    from archsim.serving.generate import generate
    from archsim.serving.requests import read_trace

    if cfg.trace is not None:
        return read_trace(cfg.trace)
    if cfg.rate is None:
        raise ConfigError("rate: give a request rate (requests/s) or a trace file")
    return generate(cfg.requests, cfg.rate, cfg.prompt, cfg.output, cfg.arrival, cfg.cv, cfg.seed)


@dataclass
class SideRun:
    """One side (the system, or its baseline) serving the stream."""

    label: str
    system: SystemConfig
    timeline: Timeline
    summary: dict
    table: dict[str, np.ndarray]
    cost_calls: int


def _side(
    label: str,
    system: SystemConfig,
    cfg: ServeConfig,
    req: Requests,
    progress: Callable[[int], None] | None,
) -> SideRun:
    from archsim.serving.cost import cost_model
    from archsim.serving.kv import kv_layout
    from archsim.serving.metrics import per_request, summarize, tco_at_load

    cm = cost_model(system, cfg.model, cfg.dtype, cfg.bucketing, cfg.cache)
    kv = kv_layout(system, cfg.model, cfg.dtype, cfg.block_tokens, cfg.memory_fraction)
    sched = cfg.scheduler()
    calls_before = cm.calls
    devices = 1
    if not cfg.disaggregate:
        tl = schedule(
            req.arrival_s, req.prompt_tokens, req.output_tokens, cm.iteration, kv.blocks,
            kv.block_tokens, kv.bytes_per_token, sched, progress=progress,
            context_limit=cm.max_context,
        )  # fmt: skip
    else:
        tl = _disaggregated(req, cm, kv, sched, cfg, progress)
        devices = 2
    cm.save()
    summary = summarize(
        req, tl, cfg.slo_ttft_s, cfg.slo_tpot_s, cm.background_w or 0.0, devices,
        cm.background_counts,
    )  # fmt: skip
    summary["system"] = system.name
    summary["kv_cache"] = {
        "placement": kv.placement,
        "capacity_gb": kv.capacity_bytes / 1e9,
        "weights_gb": kv.weight_bytes / 1e9,
        "bytes_per_token": kv.bytes_per_token,
        "blocks": kv.blocks,
        "tokens": kv.tokens,
    }
    summary["tco"] = tco_at_load(system, summary, tl.busy_s, devices)
    calls = cm.calls - calls_before
    summary["cost_model"] = {"simulations": calls, "bucketing": cfg.bucketing}
    return SideRun(label, system, tl, summary, per_request(req, tl), calls)


def _disaggregated(req, cm, kv, sched, cfg, progress) -> Timeline:
    """Prefill group first (prompts only), then the decode group on the handed-over requests."""
    ones = np.ones(len(req), np.int64)
    pre = schedule(
        req.arrival_s, req.prompt_tokens, ones, cm.iteration, kv.blocks, kv.block_tokens,
        kv.bytes_per_token, sched, context_limit=cm.max_context,
    )  # fmt: skip
    moved = req.prompt_tokens * kv.bytes_per_token
    handoff = pre.first_token_s + moved / (cfg.kv_link_gbps * 1e9)
    goes_on = np.isfinite(handoff) & (req.output_tokens > 1)
    idx = np.flatnonzero(goes_on)
    order = idx[np.argsort(handoff[idx], kind="stable")]
    dec = schedule(
        handoff[order], req.prompt_tokens[order], req.output_tokens[order], cm.iteration,
        kv.blocks, kv.block_tokens, kv.bytes_per_token, sched, prefilled=np.ones(len(order), bool),
        progress=progress,
    )  # fmt: skip
    tl = Timeline(len(req))
    tl.first_scheduled_s = pre.first_scheduled_s
    tl.first_token_s = pre.first_token_s
    tl.finish_s = np.where(np.isfinite(pre.first_token_s), pre.first_token_s, np.nan)
    tl.finish_s[order] = dec.finish_s
    tl.generated = np.where(np.isfinite(pre.first_token_s), 1, 0).astype(np.int64)
    tl.generated[order] = dec.generated
    tl.preemptions = pre.preemptions.copy()
    tl.preemptions[order] += dec.preemptions
    tl.dropped = dict(pre.dropped)
    for j, why in dec.dropped.items():
        tl.dropped[int(order[j])] = why
        tl.generated[order[j]] = 0
    for name in ("iterations", "busy_s", "host_s", "pim_s", "energy_j", "swap_s", "swapped_bytes",
                 "recomputed_tokens"):  # fmt: skip
        setattr(tl, name, getattr(pre, name) + getattr(dec, name))
    tl.actions = dict(pre.actions)
    add_counts_into(tl.actions, dec.actions)
    tl.max_running = max(pre.max_running, dec.max_running)
    tl.batch_tokens = pre.batch_tokens + dec.batch_tokens
    tl.end_s = max(pre.end_s, dec.end_s)
    # Requests in the system: from arrival to departure, across both groups.
    ends = np.where(np.isfinite(tl.finish_s), tl.finish_s, req.arrival_s)
    tl.occupancy_area = float(np.sum(ends - req.arrival_s))
    return tl


@dataclass
class ServeResult:
    config: ServeConfig
    requests: Requests
    sides: list[SideRun]

    def summary(self) -> dict:
        from archsim.version import __version__

        out = {
            "archsim_version": __version__,
            "model": self.config.model,
            "config": self.config.model_dump(),
            "sides": {s.label: s.summary for s in self.sides},
        }
        if len(self.sides) == 2:
            b, m = (s.summary for s in self.sides)
            out["comparison"] = _compare(b, m)
        return out

    def write(self, out: Path, table_format: str = "parquet") -> None:
        """Per-request table per side, the summary JSON (atomic), the latency CDF figure."""
        from archsim.serving.figures import latency_cdf

        out.mkdir(parents=True, exist_ok=True)
        for s in self.sides:
            write_table(s.table, out / f"requests_{s.label}.{table_format}")
        text = json.dumps(self.summary(), indent=2, default=str) + "\n"
        atomic_write(out / "summary.json", lambda p: p.write_text(text))
        latency_cdf(self, out / "latency_cdf.png")


def _ratio(a, b):
    return a / b if a and b else None


def _compare(b: dict, m: dict) -> dict:
    tb, tm = b.get("tco"), m.get("tco")
    return {
        "throughput_ratio": _ratio(
            m["throughput"]["tokens_per_s"], b["throughput"]["tokens_per_s"]
        ),
        "p99_tpot_ratio": _ratio(b["latency_s"]["tpot"]["p99"], m["latency_s"]["tpot"]["p99"]),
        "energy_per_token_reduction": _ratio(
            b["energy"]["per_output_token_j"], m["energy"]["per_output_token_j"]
        ),
        "cost_per_token_reduction": (
            _ratio(tb["cost_usd_per_1m_tokens"], tm["cost_usd_per_1m_tokens"])
            if tb and tm else None
        ),
    }  # fmt: skip


def serve(
    system: SystemConfig | str,
    cfg: ServeConfig | None = None,
    requests: Requests | None = None,
    progress: Callable[[int], None] | None = None,
    baseline: bool = True,
) -> ServeResult:
    """Serve a request stream on ``system`` and, if it has in-memory compute, on its baseline
    (its named ``baseline:`` or its twin without PIM)."""
    from archsim.config.presets import load_system
    from archsim.simulate import baseline_of

    sys_cfg = load_system(system) if isinstance(system, str) else system
    cfg = cfg or ServeConfig()
    req = requests if requests is not None else load_requests(cfg)
    sides = []
    if sys_cfg.pim is not None and baseline:
        sides.append(_side("baseline", baseline_of(sys_cfg), cfg, req, progress))
        sides.append(_side("in_memory", sys_cfg, cfg, req, progress))
    else:
        sides.append(_side("system", sys_cfg, cfg, req, progress))
    return ServeResult(cfg, req, sides)
