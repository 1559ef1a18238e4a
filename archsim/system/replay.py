"""Trace replay: stream a memory trace through a system's controllers; report time and energy.

A job above the memory layer: it reads the trace (workload/memtrace.py), times its requests on
the memory controllers and prices their commands with the IDD energy model (energy/dram_idd.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archsim.config.presets import load_system
from archsim.config.system import SystemConfig
from archsim.energy.dram_idd import action_energy, energy_breakdown
from archsim.engine.prefetch import prefetch
from archsim.engine.sim import Simulation
from archsim.engine.stats import Stats
from archsim.errors import TraceError
from archsim.memory import kernel as K
from archsim.memory.controller import (
    CompletionSink,
    DramTiming,
    LogSink,
    MemoryController,
    RequestBatch,
)
from archsim.records.replay import ReplayReport
from archsim.version import __version__
from archsim.workload.memtrace import TIME_UNIT, MemoryRequests, read_trace


@dataclass
class ReplayResult:
    report: ReplayReport
    stats: Stats
    timing: DramTiming


def _batches(
    blocks: Iterator[MemoryRequests],
    timing: DramTiming,
    unit: str | None,
    path: str,
    wrap: bool,
) -> Iterator[RequestBatch]:
    mapping = timing.mapping
    capacity = np.uint64(mapping.capacity_bytes)
    tck_ps = timing.cfg.organization.tck_ps
    first_id = 0
    for block in blocks:
        address = block.address
        over = address >= capacity
        if over.any():
            if not wrap:
                i = int(np.argmax(over))
                raise TraceError(
                    path,
                    int(block.line[i]),
                    f"address {int(address[i]):#x} is beyond the memory's capacity of"
                    f" {int(capacity):#x} bytes ({int(capacity) / 2**30:g} GiB); use --wrap to fold"
                    " addresses into the capacity",
                )
            address = address % capacity
        if unit == "ps":
            arrival = np.ceil(block.arrival / tck_ps - 1e-9).astype(np.int64)
        elif unit == "cycle":
            arrival = block.arrival
        else:
            arrival = np.zeros(len(block), dtype=np.int64)
        yield RequestBatch.from_addresses(mapping, address, block.is_write, arrival, first_id)
        first_id += len(block)


def replay(
    system: SystemConfig | str,
    trace: str | Path,
    fmt: str = "auto",
    *,
    wrap: bool = False,
    command_log: LogSink | None = None,
    completions: CompletionSink | None = None,
    block_bytes: int = 4 << 20,
) -> ReplayResult:
    """Replay a memory trace on ``system`` (a preset name, YAML path, or config)."""
    cfg = load_system(system) if isinstance(system, str) else system
    fmt, blocks = read_trace(trace, fmt, block_bytes)
    timing = DramTiming(cfg.memory, command_log=command_log, completions=completions)
    sim = Simulation()
    controller = MemoryController(sim, timing)
    batches = prefetch(_batches(blocks, timing, TIME_UNIT[fmt], str(trace), wrap))
    sim.start(controller.process(batches))
    sim.run()
    stats = memory_stats(cfg, timing, sim.stats)
    return ReplayResult(_report(cfg, timing, stats, str(trace), fmt), stats, timing)


def memory_stats(cfg: SystemConfig, timing: DramTiming, stats: Stats) -> Stats:
    """Publish per-channel counters and energy into ``stats`` under ``system.memory``."""
    mem = cfg.memory
    org = mem.organization
    cnt = timing.counters
    end = timing.end_cycle
    active, idle = timing.rank_time_split(end)
    e = action_energy(mem.power, mem.cycles, org)
    base = "system.memory"
    names = [
        (K.CNT_READS, "reads", "read requests served"),
        (K.CNT_WRITES, "writes", "write requests served"),
        (K.CNT_ACT, "activations", "ACT commands"),
        (K.CNT_PRE, "precharges", "explicit PRE commands"),
        (K.CNT_RDA, "reads_autoprecharge", "reads issued as RDA"),
        (K.CNT_WRA, "writes_autoprecharge", "writes issued as WRA"),
        (K.CNT_REFAB, "refreshes_all_bank", "REFab commands"),
        (K.CNT_REFPB, "refreshes_per_bank", "per-bank REF commands"),
        (K.CNT_HIT_R, "read_row_hits", "reads served without their own activation"),
        (K.CNT_HIT_W, "write_row_hits", "writes served without their own activation"),
        (K.CNT_LAT_SUM, "read_latency_sum", "sum of read latencies"),
    ]
    R = org.ranks
    for c in range(org.bus_channels):
        for index, name, desc in names:
            unit = "tCK" if name == "read_latency_sum" else "count"
            stats.add(f"{base}.ch{c}.{name}", int(cnt[c, index]), unit, desc)
        bytes_moved = int(cnt[c, K.CNT_READS] + cnt[c, K.CNT_WRITES]) * org.line_bytes
        stats.add(f"{base}.ch{c}.bytes", bytes_moved, "B", "data moved over this channel's bus")
        for r in range(R):
            rk = c * R + r
            stats.add(
                f"{base}.ch{c}.rank{r}.active_cycles",
                int(active[rk]),
                "tCK",
                "cycles with at least one bank open",
            )
            stats.add(
                f"{base}.ch{c}.rank{r}.precharged_cycles",
                int(idle[rk]),
                "tCK",
                "cycles with every bank closed",
            )
        energy = energy_breakdown(
            e,
            activations=int(cnt[c, K.CNT_ACT]),
            reads=int(cnt[c, K.CNT_READS]),
            writes=int(cnt[c, K.CNT_WRITES]),
            refresh_all_bank=int(cnt[c, K.CNT_REFAB]),
            refresh_per_bank=int(cnt[c, K.CNT_REFPB]),
            active_cycles=int(active[c * R : (c + 1) * R].sum()),
            precharged_cycles=int(idle[c * R : (c + 1) * R].sum()),
        )
        for k, v in energy.items():
            stats.add(f"{base}.ch{c}.energy.{k}", v, "pJ", f"DRAM energy: {k}")
    stats.add(f"{base}.end_cycle", end, "tCK", "cycle of the last data beat")
    stats.add(f"{base}.tck_ps", org.tck_ps, "ps", "memory clock period")
    return stats


def _report(
    cfg: SystemConfig, timing: DramTiming, stats: Stats, trace: str, fmt: str
) -> ReplayReport:
    org = cfg.memory.organization
    base = "system.memory.ch"
    reads = int(stats.sum(base, ".reads"))
    writes = int(stats.sum(base, ".writes"))
    requests = reads + writes
    end = timing.end_cycle
    tck_ns = org.tck_ps / 1000.0
    time_ns = end * tck_ns
    hits = stats.sum(base, ".read_row_hits") + stats.sum(base, ".write_row_hits")
    hist = timing.latency_histogram
    p99 = 0.0
    if reads:
        cum = np.cumsum(hist)
        k = int(np.searchsorted(cum, 0.99 * reads - 1e-9))
        max_latency = int(timing.counters[:, K.CNT_LAT_MAX].max())
        p99 = float(k if k < len(hist) else max_latency) * tck_ns
    energy = {
        k: stats.sum(base, f".energy.{k}")
        for k in ("act_pre", "read", "write", "refresh", "background", "io", "total")
    }
    cnt = timing.counters.sum(axis=0)
    commands = {
        "ACT": int(cnt[K.CNT_ACT]),
        "PRE": int(cnt[K.CNT_PRE]),
        "RD": int(cnt[K.CNT_READS] - cnt[K.CNT_RDA]),
        "WR": int(cnt[K.CNT_WRITES] - cnt[K.CNT_WRA]),
        "RDA": int(cnt[K.CNT_RDA]),
        "WRA": int(cnt[K.CNT_WRA]),
        "REFab": int(cnt[K.CNT_REFAB]),
        "REFpb": int(cnt[K.CNT_REFPB]),
        "PIM": int(cnt[K.CNT_PIM_CMDS]),
    }
    return ReplayReport(
        archsim_version=__version__,
        system=cfg.name,
        trace=trace,
        format=fmt,
        requests=requests,
        reads=reads,
        writes=writes,
        cycles=end,
        time_ns=time_ns,
        bandwidth_gbps=requests * org.line_bytes / time_ns if time_ns else 0.0,
        peak_bandwidth_gbps=org.peak_bandwidth_bytes_per_s / 1e9,
        row_hit_rate=hits / requests if requests else 0.0,
        avg_latency_ns=stats.sum(base, ".read_latency_sum") / reads * tck_ns if reads else 0.0,
        p99_latency_ns=p99,
        energy_pj=energy,
        commands=commands,
    )
