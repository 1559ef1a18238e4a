"""Run an op on the in-memory unit: time it on the DRAM model and count its actions.

In-bank units (HBM-PIM, AiM) compile the op into a command program per channel
(:mod:`archsim.pim.programs`) and time it on the DRAM kernel together with the host's read-back
of the results. Near-memory units (DIMM buffer chip, HBM logic die) stream their operands at
the internal bandwidth of the channels behind them and compute at their own peak.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from archsim.config.compute import AimConfig, HbmPimConfig, NearMemoryConfig
from archsim.config.system import SystemConfig
from archsim.engine.actions import Actions, Ledger
from archsim.engine.demands import Demands, Hold, demands, stage
from archsim.engine.memo import Memo
from archsim.memory import kernel as K
from archsim.memory.controller import DramTiming, RequestBatch
from archsim.memory.fastforward import REFRESH_INTERVALS, one_channel, stream_timing
from archsim.memory.pim_cadence import pim_mac_cycles
from archsim.pim.command_stream import CommandStream
from archsim.pim.programs import (
    BYTES_PER_COMMAND,
    Program,
    aim_eltwise,
    aim_gemv,
    hbm_pim_eltwise,
    hbm_pim_gemv,
)
from archsim.pim.shapes import gemv_shapes
from archsim.workload.graph import Workload


@dataclass(frozen=True)
class ProgramRun:
    """One channel's program (and its share of the read-back), timed."""

    cycles: int
    counts: dict[str, float]  # per channel


_COUNT_FIELDS = {
    "pim_act_banks": K.CNT_PIM_ACT_BANKS,
    "pim_mac_banks": K.CNT_PIM_MAC_BANKS,
    "pim_wr_banks": K.CNT_PIM_WR_BANKS,
    "pim_reg_writes": K.CNT_PIM_REG_WR,
    "pim_reg_reads": K.CNT_PIM_REG_RD,
    "reads": K.CNT_READS,
    "activations": K.CNT_ACT,
}

# Timed programs by (memory and unit config, program, read-back): the layers of a model repeat
# the same ops, and a sweep revisits shapes.
_RUNS: Memo[ProgramRun] = Memo("program", size=512)


def _run(system: SystemConfig, program: Program, readback: bool = True) -> ProgramRun:
    """Time a program with the host reading back its channel's share of the results (or,
    with ``readback=False``, the program alone)."""
    readback_lines = _readback_lines(program) if readback else 0
    key = (_timing_key(system), program.commands.key(), readback_lines)
    return _RUNS.get(key, lambda: _time(system, program, readback_lines))


def _readback_lines(program: Program) -> int:
    return math.ceil(program.readback_bytes / program.channels / BYTES_PER_COMMAND)


def _readback(system: SystemConfig, lines: int) -> ProgramRun:
    """The host reading ``lines`` result lines of one channel, alone."""
    empty = Program(CommandStream(), 0, 0, 0, 0)
    key = (_timing_key(system), "readback", lines)
    return _RUNS.get(key, lambda: _time(system, empty, lines))


def _timing_key(system: SystemConfig) -> str:
    """What a program's timing depends on: the memory and the unit's MAC cadence."""
    return f"{system.memory.model_dump_json()}|{pim_mac_cycles(system)}"


def _time(system: SystemConfig, program: Program, readback_lines: int) -> ProgramRun:
    timing = DramTiming(system.memory, pim_mac_cycles=pim_mac_cycles(system))
    org = system.memory.organization
    prog = program.batch()
    if readback_lines:
        # Results sit in consecutive lines of channel 0's result rows; the host reads them once
        # the program has finished (in-order: the channel leaves PIM mode first).
        lines = np.arange(readback_lines, dtype=np.uint64) * np.uint64(org.bus_channels)
        address = lines * np.uint64(org.line_bytes)
        host = RequestBatch.from_addresses(
            timing.mapping,
            address,
            np.zeros(readback_lines, dtype=np.bool_),
            np.zeros(readback_lines, dtype=np.int64),
            len(prog),
        )
        prog = RequestBatch.concat(prog, host)
    timing.step(prog, final=True)
    cnt = timing.counters[0]
    counts = {name: float(cnt[index]) for name, index in _COUNT_FIELDS.items()}
    return ProgramRun(timing.end_cycle, counts)


@dataclass(frozen=True)
class MemoryOpResult:
    time_ns: float  # alone on the system: ``demands.alone_ns`` where demands are given
    ledger: Ledger
    macs: int
    bound: str
    demands: Demands | None = None  # None: the whole time holds the unit


def _interpolate(a: float, b: float, scale: float) -> float:
    return a + scale * (b - a)


def _run_many(
    system: SystemConfig, make: Callable[[int], Program], count: int, fidelity: str
) -> tuple[Program, ProgramRun]:
    """Time the program ``make(count)`` of ``count`` identical, independent products (each on
    fresh rows, as attention heads and batched vectors are compiled).

    Fast-forward (docs/design.md section 4): time ``n`` and ``2n`` products, ``n`` doubled until the
    sample spans several refresh intervals, and extrapolate every total linearly (a program is
    its mode entry and exit plus ``count`` equal products), then add the host's read-back of
    the results, timed whole as the regular stream it is; ``fidelity="full"``, or a count
    within four samples, times every command.
    """
    if fidelity == "full":
        program = make(count)
        return program, _run(system, program)
    target = REFRESH_INTERVALS * system.memory.cycles.nREFI
    n = 1
    while True:
        if 4 * n >= count:  # no sample spanning several refreshes fits: time it all
            program = make(count)
            return program, _run(system, program)
        p1 = make(n)
        r1 = _run(system, p1, readback=False)
        if r1.cycles >= target:
            break
        n *= 2
    p2 = make(2 * n)
    r2 = _run(system, p2, readback=False)
    scale = (count - n) / n
    program = Program(
        p1.commands,
        round(_interpolate(p1.broadcast_bytes, p2.broadcast_bytes, scale)),
        round(_interpolate(p1.readback_bytes, p2.readback_bytes, scale)),
        round(_interpolate(p1.macs, p2.macs, scale)),
        round(_interpolate(p1.host_reduce_flops, p2.host_reduce_flops, scale)),
        p1.channels,
        p1.emitted,
    )
    # The read-back after the program is a regular stream of its own: timed whole, after it.
    back = _readback(system, _readback_lines(program))
    counts = {
        k: _interpolate(r1.counts[k], r2.counts[k], scale) + back.counts[k] for k in r1.counts
    }
    cycles = round(_interpolate(r1.cycles, r2.cycles, scale)) + back.cycles
    return program, ProgramRun(cycles, counts)


def _channels(cfg, n: int):
    """The same memory with ``n`` bus channels (a group of one device's channels)."""
    if n == 1:
        return one_channel(cfg)
    org = cfg.organization.model_copy(update={"stacks": 1, "channels": n, "pseudo_channels": 1})
    return cfg.model_copy(update={"organization": org})


def _per_channel(program: Program, share: float, macs: int, channels: int) -> Program:
    """A channel group's program standing for ``share`` groups' worth of the same work."""
    return Program(
        program.commands,
        round(program.broadcast_bytes * share),
        round(program.readback_bytes * share),
        macs,
        round(program.host_reduce_flops * share),
        channels,
        program.emitted,
    )


def _timed_programs(
    system: SystemConfig, op, workload: Workload, layout: str, fidelity: str
) -> list[tuple[Program, ProgramRun]]:
    """The op's programs, timed. ``layout`` places attention's KV heads: ``spread`` splits
    each head over every channel (partial sums read back from all channels); ``heads`` keeps
    each head whole in one channel (AttAcc's and NeuPIMs' layout: a request's KV head in one
    channel, its tokens across the channel's banks) and runs different heads in different
    channels with no cross-channel reduction."""
    pim = system.pim
    gemv = hbm_pim_gemv if isinstance(pim, HbmPimConfig) else aim_gemv
    out: list[tuple[Program, ProgramRun]] = []
    if op.kind in ("gemv", "gemm"):
        for batch, outputs, inputs in gemv_shapes(op):
            program = gemv(system, outputs, inputs, batch)
            out.append((program, _run(system, program)))
    elif op.kind == "attention":
        # Decode attention: scores = K q (a GEMV over each KV group's key cache, the group's
        # query heads as its batch), softmax on the host, then out = V^T p the same way.
        groups = op.kv_heads or op.heads
        per_group = op.heads // groups
        heads = op.batch * groups
        channels = system.memory.organization.bus_channels
        for outputs, inputs in ((op.kv_len, op.head_dim), (op.head_dim, op.kv_len)):
            if layout == "heads":
                # Each head in its own group of channels (one channel when there are more
                # heads than channels); groups run different heads side by side.
                width = max(1, channels // heads)
                per = math.ceil(heads / (channels // width))
                part = system.model_copy(update={"memory": _channels(system.memory, width)})
                program, run = _run_many(
                    system,
                    lambda n, o=outputs, i=inputs, part=part: gemv(
                        part, o, i, per_group, matrices=n
                    ),
                    per,
                    fidelity,
                )
                macs = per_group * heads * outputs * inputs
                # Counts are per channel of one group: scale by the channels that hold heads.
                used = min(channels, width * math.ceil(heads / per))
                out.append((_per_channel(program, heads / per, macs, used), run))
            else:
                out.append(
                    _run_many(
                        system,
                        lambda n, o=outputs, i=inputs: gemv(system, o, i, per_group, matrices=n),
                        heads,
                        fidelity,
                    )
                )
    elif op.kind == "eltwise":
        elements = workload.tensors[op.outputs[0]].elements
        eltwise = hbm_pim_eltwise if isinstance(pim, HbmPimConfig) else aim_eltwise
        program = eltwise(system, elements, len(op.inputs))
        out.append((program, _run(system, program)))
    else:
        raise ValueError(f"op kind {op.kind!r} cannot run on a {pim.kind} unit")
    return out


def _programs(
    system: SystemConfig, op, workload: Workload, fidelity: str = "fast"
) -> list[tuple[Program, ProgramRun]]:
    """The op's programs, timed; attention takes the faster of the two KV layouts, and a batch
    at several context lengths runs one program pair per length, one after another (no
    packing of different lengths into one layout)."""
    if op.kind == "attention" and op.cache_lens is not None:
        return [x for part in op.by_context() for x in _programs(system, part, workload, fidelity)]
    layouts = ["spread"]
    if op.kind == "attention" and (op.kv_heads or op.heads) * op.batch >= 2:
        layouts.append("heads")
    best = None
    for layout in layouts:
        runs = _timed_programs(system, op, workload, layout, fidelity)
        cycles = sum(r.cycles for _, r in runs)
        if best is None or cycles < best[0]:
            best = (cycles, runs)
    assert best is not None
    return best[1]


def run_in_bank(
    system: SystemConfig, op, workload: Workload, energy: Actions, fidelity: str = "fast"
) -> MemoryOpResult:
    """One execution of ``op`` on an in-bank unit (HBM-PIM-like or AiM-like)."""
    pim = system.pim
    assert isinstance(pim, HbmPimConfig | AimConfig)
    org = system.memory.organization
    tck_ns = org.tck_ps / 1000.0
    ledger = Ledger()
    program_ns = 0.0
    link_bytes = 0.0
    macs = 0
    reduce_flops = 0
    # With softmax on the device, attention's scores and probabilities stay in it: the
    # scores' read-back and the probabilities' broadcast cross the TSVs, not the host link.
    on_device = op.kind == "attention" and pim.softmax == "device"
    for i, (program, run) in enumerate(_programs(system, op, workload, fidelity)):
        program_ns += run.cycles * tck_ns
        ch = program.channels
        c = run.counts
        energy.bank_activations(ledger, ch * (c["pim_act_banks"] + c["activations"]))
        bits = BYTES_PER_COMMAND * 8
        energy.dram_columns(ledger, ch * (c["pim_mac_banks"] + c["pim_wr_banks"]) * bits, "bank")
        # Register traffic and read-back cross the whole path and the host link.
        writes = ch * c["pim_reg_writes"] * BYTES_PER_COMMAND
        reads = ch * (c["pim_reg_reads"] + c["reads"]) * BYTES_PER_COMMAND
        # Attention's programs come in pairs: scores (K q), then outputs (V^T p).
        inside = (reads if i % 2 == 0 else writes) if on_device else 0
        moved = writes + reads - inside
        energy.dram_columns(ledger, (moved + inside) * 8, "tsv")
        energy.link(ledger, moved)
        link_bytes += moved
        ledger.bytes["dram_internal"] += ch * c["pim_mac_banks"] * BYTES_PER_COMMAND
        macs += program.macs
        reduce_flops += program.host_reduce_flops
    dtype = pim.dtype
    energy.mac(ledger, "pim", macs, dtype)
    energy.sram(ledger, "pim", 2 * macs * 2)  # register-file reads of both operands
    if op.kind == "attention":
        # Softmax of the scores, on the host (they come back with the read-back above) or on
        # the device's buffer die.
        reduce_flops += op.flops() - 2 * op.macs()
    reduce_ns = device_ns = 0.0
    if reduce_flops and on_device:
        energy.vector(ledger, "pim", reduce_flops)
        device_ns = reduce_flops / pim.device_vector_flops * 1e9
    elif reduce_flops:
        energy.vector(ledger, "host", reduce_flops)
        assert system.host is not None
        reduce_ns = reduce_flops / system.host.vector_flops_per_cycle / system.host.clock_hz * 1e9
    link = system.host_link
    append_ns = _kv_append(system, op, workload, energy, ledger)
    # The program drives the channels; its register writes and read-back also occupy the host
    # link, at the link's own rate. The host then adds up partial sums (softmax for attention).
    need = demands(
        stage(
            Hold("channels", append_ns[0], "host"),
            Hold("link", append_ns[1]),
        ),
        stage(
            Hold("channels", program_ns, "pim"),
            Hold("link", link_bytes / link.bandwidth_bytes_per_s * 1e9 if link else 0.0),
        ),
        stage(Hold("host", reduce_ns), Hold("unit", device_ns)),
        stage(Hold("delay", link.latency_ns if link else 0.0)),
    )
    return MemoryOpResult(need.alone_ns, ledger, macs, "pim", need)


def _kv_append(system, op, workload: Workload, energy: Actions, ledger: Ledger):
    """Decode attention first writes its new keys and values into the KV cache: they come
    from the host over the link and are written as a regular stream. Returns the stream's
    channel and link times (ns)."""
    if op.kind != "attention":
        return 0.0, 0.0
    written = op.bytes_written(workload)
    nbytes = sum(v for k, v in written.items() if workload.tensors[k].role == "kv_cache")
    if not nbytes:
        return 0.0, 0.0
    org = system.memory.organization
    stream = stream_timing(system.memory, math.ceil(nbytes / org.line_bytes), 1.0)
    energy.activations(ledger, stream.counts["activations"])
    energy.dram_columns(ledger, nbytes * 8, "tsv")
    energy.link(ledger, nbytes)
    link = system.host_link
    link_ns = nbytes / link.bandwidth_bytes_per_s * 1e9 if link else 0.0
    return stream.cycles * org.tck_ps / 1000.0, link_ns


def run_near_memory(
    system: SystemConfig, op, workload: Workload, energy: Actions, onchip: frozenset[str]
) -> MemoryOpResult:
    """One execution of ``op`` on a near-memory unit fed by the channels behind it."""
    pim = system.pim
    assert isinstance(pim, NearMemoryConfig)
    mem = system.memory
    org = mem.organization
    ledger = Ledger()
    reads = op.bytes_read(workload)
    writes = op.bytes_written(workload)
    # Operands in DRAM stream through the unit; activations from the host cross the link.
    dram_read = sum(v for k, v in reads.items() if k not in onchip)
    host_in = sum(v for k, v in reads.items() if k in onchip)
    dram_write = sum(v for k, v in writes.items() if workload.tensors[k].role == "kv_cache")
    host_out = sum(writes.values()) - dram_write
    lines = math.ceil((dram_read + dram_write) / org.line_bytes)
    share = (dram_write / (dram_read + dram_write)) if (dram_read + dram_write) else 0.0
    stream = stream_timing(mem, lines, share)
    memory_ns = stream.cycles * org.tck_ps / 1000.0 / pim.internal_bandwidth_factor
    compute_ns = op.flops() / pim.peak_flops * 1e9
    assert system.host_link is not None
    link_ns = (host_in + host_out) / system.host_link.bandwidth_bytes_per_s * 1e9
    need = demands(
        stage(Hold("unit", compute_ns), Hold("channels", memory_ns, "near")),
        stage(Hold("link", link_ns)),
        stage(Hold("delay", system.host_link.latency_ns)),
    )
    energy.activations(ledger, stream.counts["activations"])
    stop = "tsv" if pim.kind == "logic-die" else "die"
    energy.dram_columns(ledger, (dram_read + dram_write) * 8, stop)
    if pim.kind == "dimm-buffer":
        # The DRAM devices still drive their data pins to the buffer chip on the DIMM.
        energy.fixed_link_bits(ledger, (dram_read + dram_write) * 8)
    ledger.bytes["dram_internal"] += dram_read + dram_write
    energy.link(ledger, host_in + host_out)
    energy.mac(ledger, "pim", op.macs(), pim.dtype)
    energy.vector(ledger, "pim", max(op.flops() - 2 * op.macs(), 0))
    bound = "memory" if memory_ns >= compute_ns else "compute"
    return MemoryOpResult(need.alone_ns, ledger, op.macs(), bound, need)


def mode_switch_ns(system: SystemConfig) -> float:
    """Time of one round trip out of and back into all-bank PIM mode on a channel (HBM-PIM's
    exit and entry sequences, timed on the DRAM kernel)."""
    from archsim.pim.command_stream import CommandStream
    from archsim.pim.programs import enter_hbm_pim, exit_hbm_pim

    cmds = CommandStream()
    exit_hbm_pim(cmds, 0)
    enter_hbm_pim(cmds, 0)
    program = Program(cmds, 0, 0, 0, 0)
    return _run(system, program).cycles * system.memory.organization.tck_ps / 1000.0
