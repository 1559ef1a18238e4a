"""Fast-forward for regular streams (docs/design.md section 4).

A decode token of a 7B model reads ~13 GB of weights: hundreds of millions of bursts, which no
per-request model replays in seconds. A regular stream (lines read in address order, possibly
mixed with writes in a fixed proportion) reaches a steady state after a short warm-up, so we
simulate it with the real controller twice, for ``n1`` and ``3 n1`` requests, and extrapolate
linearly: cycles(N) = cycles(n1) + (N - n1) x slope, the slope taken between the two, and the
same for every command count. ``n1`` spans several refresh intervals, so refresh is folded
into the slope.

A regular stream interleaves its lines over the channels and each channel sees a regular
stream of its own share, so the fast path simulates one channel (with its pseudo-channels,
which share its command buses) with its share of the requests and scales the command counts
by the channel count. Results are cached per (memory
config, pattern, write share, size), so a workload with many same-shaped layers simulates each
stream shape once. :func:`stream_timing` with ``fidelity="full"`` simulates every request on
every channel instead (tested to agree within 1%).

The one-channel shortcut rests on two assumptions, checked by :func:`fast_path_problem`: the
channel is the lowest address field (so consecutive lines go to consecutive channels and each
sees a regular stream of its own), and the front end looks far enough ahead that channels do
not stall one another (``frontend_window`` at least ``WINDOW_PER_CHANNEL`` x the channel count;
measured on HBM2's 16 channels: window 1 makes the shortcut 16x too fast, window 16 still 5%
off with writes, 64 still 1.4% off in activations with 30% writes). When one fails, the
stream is simulated in full on every channel if it has at most ``FULL_LIMIT`` requests, and
refused with the reason otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from archsim.config.dram import DramConfig
from archsim.engine.memo import Memo
from archsim.errors import ArchsimError
from archsim.memory import kernel as K
from archsim.memory.controller import DramTiming, RequestBatch

# Sample length in refresh intervals: long enough that the refresh share of the slope is
# right to well under 1%, short enough to simulate in a fraction of a second.
REFRESH_INTERVALS = 8
# The slope is measured between samples of 1 and SPAN x the first; streams up to SPAN samples
# are simulated whole. Write drains and refreshes fall at different phases in each sample, so
# over one sample the command counts were 1.4% off with 30% writes (DDR4, 2 ranks); over two,
# 0.7%.
SPAN = 3
# Writes are interleaved evenly with reads; their share is rounded to this grid for caching.
WRITE_SHARE_STEPS = 32
# The fast path needs frontend_window >= this x bus channels. On HBM2 with pseudo-channels
# sharing their command buses and 30% writes, 4x left the activations 1.4% off; 8x holds 1%.
WINDOW_PER_CHANNEL = 8
# Streams up to this many requests are simulated in full when the fast path does not apply
# (a few seconds of simulation); longer ones are refused with the reason.
FULL_LIMIT = 4_000_000


@dataclass(frozen=True)
class StreamTiming:
    """Time and DRAM actions of a stream of ``requests`` line accesses."""

    requests: int
    cycles: float  # memory cycles (tCK) from the first request to the last data beat
    counts: dict[str, float] = field(default_factory=dict)  # reads, writes, activations, ...
    fast_forwarded: bool = False
    fallback: str = ""  # why the fast path was not taken, if it was asked for and not taken


_COUNTS = {
    "reads": K.CNT_READS,
    "writes": K.CNT_WRITES,
    "activations": K.CNT_ACT,
    "precharges": K.CNT_PRE,
    "refreshes_all_bank": K.CNT_REFAB,
    "refreshes_per_bank": K.CNT_REFPB,
}


def _pattern(
    n: int, line: int, write_share: float, base: int, pattern: str, capacity: int, channels: int
):
    if pattern != "sequential":
        raise ValueError(f"unknown stream pattern {pattern!r}")
    address = (np.arange(n, dtype=np.uint64) * np.uint64(line) + np.uint64(base)) % np.uint64(
        capacity
    )
    # Writes spread evenly within each channel's share (consecutive lines go to consecutive
    # channels): the channel's j-th request is a write when floor((j+1)w) > floor(j w).
    j = (np.arange(n, dtype=np.int64) // channels).astype(np.float64)
    is_write = np.floor((j + 1) * write_share) > np.floor(j * write_share)
    return address, is_write


def _simulate(cfg: DramConfig, n: int, write_share: float, pattern: str) -> StreamTiming:
    timing = DramTiming(cfg)
    org = cfg.organization
    address, is_write = _pattern(
        n, org.line_bytes, write_share, 0, pattern, org.capacity_bytes, org.bus_channels
    )
    batch = RequestBatch.from_addresses(
        timing.mapping, address, is_write, np.zeros(n, dtype=np.int64)
    )
    timing.step(batch, final=True)
    cnt = timing.counters.sum(axis=0)
    counts = {name: float(cnt[index]) for name, index in _COUNTS.items()}
    active, idle = timing.rank_time_split(timing.end_cycle)
    counts["active_cycles"] = float(active.sum())
    counts["precharged_cycles"] = float(idle.sum())
    return StreamTiming(n, float(timing.end_cycle), counts)


_STREAMS: Memo[StreamTiming] = Memo("stream", size=256)


def _cached(cfg: DramConfig, n: int, write_share: float, pattern: str) -> StreamTiming:
    key = (cfg.model_dump_json(), n, write_share, pattern)
    return _STREAMS.get(key, lambda: _simulate(cfg, n, write_share, pattern))


def sample_requests(cfg: DramConfig) -> int:
    """Requests in the first fast-forward sample: several refresh intervals of a full stream."""
    org, n = cfg.organization, cfg.cycles
    per_channel = REFRESH_INTERVALS * max(n.nREFI, 1) / max(n.nBL, 1)
    return int(per_channel * org.bus_channels)


def one_channel(cfg: DramConfig) -> DramConfig:
    """The same memory with a single bus channel (one stack, channel and pseudo-channel)."""
    org = cfg.organization.model_copy(update={"stacks": 1, "channels": 1, "pseudo_channels": 1})
    return cfg.model_copy(update={"organization": org})


def one_unit(cfg: DramConfig) -> DramConfig:
    """The fast path's unit: one channel with its pseudo-channels, which share the channel's
    command buses (JESD235), so a pseudo-channel alone would run faster than it does."""
    org = cfg.organization.model_copy(update={"stacks": 1, "channels": 1})
    return cfg.model_copy(update={"organization": org})


def fast_path_problem(cfg: DramConfig) -> str | None:
    """Why the one-channel fast path would misjudge streams on ``cfg``, or None if it holds."""
    channels = cfg.organization.bus_channels
    if channels == 1:
        return None
    ctl = cfg.controller
    if ctl.mapping_fields[-1] != "channel":
        return (
            f"address mapping {ctl.address_mapping!r} does not put the channel in the lowest"
            " bits, so a stream does not spread evenly over the channels"
        )
    if ctl.frontend_window < WINDOW_PER_CHANNEL * channels:
        return (
            f"frontend_window {ctl.frontend_window} is below {WINDOW_PER_CHANNEL} x"
            f" {channels} bus channels, so a full queue on one channel stalls the others"
        )
    return None


def stream_timing(
    cfg: DramConfig,
    requests: int,
    write_share: float = 0.0,
    pattern: str = "sequential",
    fidelity: str = "fast",
) -> StreamTiming:
    """Timing of ``requests`` line accesses of a regular stream on memory ``cfg``."""
    if requests <= 0:
        zero = dict.fromkeys([*_COUNTS, "active_cycles", "precharged_cycles"], 0.0)
        return StreamTiming(0, 0.0, zero)
    if not 0.0 <= write_share <= 1.0:
        raise ValueError("write share must be within [0, 1]")
    share = round(write_share * WRITE_SHARE_STEPS) / WRITE_SHARE_STEPS
    if fidelity == "full":
        return _cached(cfg, requests, share, pattern)
    problem = fast_path_problem(cfg)
    if problem is not None:
        if requests > FULL_LIMIT:
            raise ArchsimError(
                f"a stream of {requests:,} requests cannot be fast-forwarded ({problem}) and is"
                f" too long to simulate in full (limit {FULL_LIMIT:,}); put the channel lowest in"
                " memory.controller.address_mapping or raise memory.controller.frontend_window"
            )
        run = _cached(cfg, requests, share, pattern)
        return StreamTiming(run.requests, run.cycles, run.counts, False, problem)
    single = one_unit(cfg)
    units = cfg.organization.bus_channels // single.organization.bus_channels
    per_unit = -(-requests // units)
    n1 = sample_requests(single)
    if per_unit <= SPAN * n1:
        run = _cached(single, per_unit, share, pattern)
        counts = {k: v * units for k, v in run.counts.items()}
        return StreamTiming(requests, run.cycles, counts, units > 1)
    first = _cached(single, n1, share, pattern)
    last = _cached(single, SPAN * n1, share, pattern)
    extra = per_unit - n1
    span = (SPAN - 1) * n1
    slope_cycles = (last.cycles - first.cycles) / span
    counts = {
        k: units * (first.counts[k] + extra * (last.counts[k] - first.counts[k]) / span)
        for k in first.counts
    }
    return StreamTiming(requests, first.cycles + extra * slope_cycles, counts, True)


def steady_bandwidth(cfg: DramConfig, write_share: float = 0.0) -> float:
    """Sustained bytes per second of a long sequential stream (refresh included)."""
    n1 = sample_requests(cfg)
    t = stream_timing(cfg, 4 * n1, write_share)
    line = cfg.organization.line_bytes
    return 4 * n1 * line / (t.cycles * cfg.organization.tck_ps * 1e-12)
