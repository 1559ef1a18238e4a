"""``archsim run --command-log F``: the in-memory side's DRAM commands, host traffic and PIM
programs merged on one controller.

The engine times flows alone and their sharing as a fluid (:mod:`archsim.system.engine`); this
pass re-simulates the schedule it found at command level: every op's host request stream and
PIM command programs (for every channel) enter one DRAM controller at the cycle their hold on the
channels started, and the command kernel interleaves them under every timing constraint (a
channel running a PIM program holds host requests back, as HBM-PIM's all-bank modes do). The log
is therefore a valid command stream (``archsim check-log`` audits it) of the same traffic; its
length is reported beside the engine's time. Work grows with requests, so it is refused above
:data:`MAX_COMMANDS`.
"""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path

import numpy as np

from archsim.errors import ConfigError

MAX_COMMANDS = 4_000_000  # requests and PIM commands the merged pass will simulate


def _host_batch(timing, op, workload, host, onchip, base: int, start: int, repeat: int):
    from archsim.host.npu import host_work
    from archsim.memory.controller import RequestBatch

    work = host_work(op, workload, host)
    read = sum(v for k, v in work.read_bytes.items() if k not in onchip)
    write = sum(v for k, v in work.write_bytes.items() if k not in onchip)
    org = timing.cfg.organization
    lines = math.ceil((read + write) * repeat / org.line_bytes)
    if not lines:
        return None, base
    share = write / (read + write)
    index = np.arange(lines, dtype=np.int64)
    address = ((index + base) * org.line_bytes % org.capacity_bytes).astype(np.uint64)
    is_write = np.floor((index + 1) * share) > np.floor(index * share)
    arrival = np.full(lines, start, dtype=np.int64)
    batch = RequestBatch.from_addresses(timing.mapping, address, is_write, arrival)
    return batch, base + lines


def _pim_batches(system, op, workload, start: int, repeat: int):
    from archsim.config.compute import HbmPimConfig
    from archsim.pim.programs import aim_eltwise, aim_gemv, hbm_pim_eltwise, hbm_pim_gemv
    from archsim.pim.shapes import gemv_shapes

    channels = system.memory.organization.bus_channels
    hbm = isinstance(system.pim, HbmPimConfig)
    gemv = hbm_pim_gemv if hbm else aim_gemv
    programs = []
    if op.kind in ("gemv", "gemm"):
        for batch, outputs, inputs in gemv_shapes(op):
            programs.append(gemv(system, outputs, inputs, batch, emit_channels=channels))
    elif op.kind == "attention":
        groups = op.kv_heads or op.heads
        for part in op.by_context():  # one program pair per context length
            heads = part.batch * groups
            for outputs, inputs in ((part.kv_len, op.head_dim), (op.head_dim, part.kv_len)):
                programs.append(
                    gemv(
                        system,
                        outputs,
                        inputs,
                        op.heads // groups,
                        emit_channels=channels,
                        matrices=heads,
                    )
                )
    elif op.kind == "eltwise":
        eltwise = hbm_pim_eltwise if hbm else aim_eltwise
        elements = workload.tensors[op.outputs[0]].elements
        programs.append(eltwise(system, elements, len(op.inputs), emit_channels=channels))
    out = []
    for _ in range(repeat):
        for program in programs:
            batch = _channels_interleaved(program.batch())
            batch.arrival[:] = start
            out.append(batch)
    return out


def _channels_interleaved(batch):
    """The program's commands with the channels interleaved (each channel's own order kept):
    the controllers of all channels receive their programs at once, while a program emitted
    channel after channel would reach the later channels only through the in-order front end
    (which made a 64-channel GEMV 22x slower than its channels run it)."""
    from archsim.memory.controller import RequestBatch

    n = len(batch)
    if n == 0:
        return batch
    channel = batch.channel
    order = np.argsort(channel, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    counts = np.bincount(channel)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank[order] = np.arange(n) - np.repeat(starts, counts)
    perm = np.lexsort((channel, rank))
    return RequestBatch(*(getattr(batch, f.name)[perm] for f in fields(RequestBatch)))


def write_run_log(result, path: Path, system_ref: str, overrides: dict | None = None) -> dict:
    """Write the merged command log of ``result``'s in-memory side (or its only side)."""
    from archsim.memory.command_log import CommandLogWriter
    from archsim.memory.controller import DramTiming, RequestBatch
    from archsim.memory.pim_cadence import pim_mac_cycles
    from archsim.system.unroll import folded_name

    side = result.in_memory or result.baseline
    system = result.system
    if system.pim_memory is not None:
        raise ConfigError(
            f"{system.name}: --command-log covers one memory; this system's in-memory unit has"
            " devices of its own (pim_memory)"
        )
    if system.parallel.devices > 1:
        raise ConfigError(
            f"{system.name}: --command-log covers one device's memory; field parallel splits"
            " the work over several"
        )
    workload = side.workload or result.workload
    ops = {op.name: op for op in workload.ops}
    tck_ns = system.memory.organization.tck_ps / 1000.0
    pim_cycles = pim_mac_cycles(system) if system.pim is not None else 0
    timing_probe = DramTiming(system.memory, pim_mac_cycles=pim_cycles)
    batches: list[tuple[int, int, RequestBatch]] = []
    base = 0
    total = 0
    spans = sorted(side.timeline.ops, key=lambda s: (s.start_ns, s.name))
    for order, span in enumerate(spans):
        op = ops.get(folded_name(span.name))
        if op is None:
            continue
        repeat = op.repeat if span.name == op.name else 1  # one layer of an unrolled op
        for hold in span.holds:
            if hold.resource != "channels":
                continue
            start = int(hold.start_ns / tck_ns)
            if hold.flow == "pim":
                new = _pim_batches(system, op, workload, start, repeat)
            else:
                batch, base = _host_batch(
                    timing_probe,
                    op,
                    workload,
                    system.host,
                    side.placement.onchip,
                    base,
                    start,
                    repeat,
                )
                new = [batch] if batch is not None else []
            for b in new:
                total += len(b)
                if total > MAX_COMMANDS:
                    raise ConfigError(
                        f"--command-log: the merged traffic exceeds {MAX_COMMANDS:,} requests"
                        " and commands; log a smaller workload (the engine's own timing needs"
                        " no log)"
                    )
                batches.append((start, order, b))
    batches.sort(key=lambda x: (x[0], x[1]))
    parts = [b for _, _, b in batches]
    if parts:
        merged = RequestBatch(
            *(np.concatenate([getattr(b, f.name) for b in parts]) for f in fields(RequestBatch))
        )
        merged.request_id[:] = np.arange(len(merged), dtype=np.int64)
    else:
        merged = RequestBatch.empty()
    writer = CommandLogWriter(path, system, system_ref, overrides)
    try:
        timing = DramTiming(system.memory, command_log=writer.write, pim_mac_cycles=pim_cycles)
        timing.step(merged, final=True)
    finally:
        writer.close()
    return {
        "commands": writer.commands,
        "requests": len(merged),
        "log_time_ns": timing.end_cycle * tck_ns,
        "engine_time_ns": side.report.time_ns,
    }
