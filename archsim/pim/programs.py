"""Compile ops for in-bank digital PIM into DRAM command programs (one per channel).

Two unit designs, after their public descriptions:

* **HBM-PIM** (Samsung Aquabolt-XL, ISSCC 2021; command flow of SAITPublic/PIMSimulator and
  PIMLibrary): one 16-lane FP16 unit per two banks (8 per pseudo-channel). In all-bank mode one
  ACT opens a row in all even (or odd) banks; every column command then makes each unit consume
  32 B from its bank. A GEMV runs in output groups of 8 outputs per unit: the input vector is
  broadcast into the units' GRF_A registers 128 elements at a time (8 register writes), each
  unit accumulates 16-lane partial sums of its outputs in GRF_B, which are written back to the
  banks and read by the host (32 B per output) and summed there, 16 lanes per output.
* **AiM** (SK hynix GDDR6-AiM, ISSCC 2022 / JSSC 2023): a MAC unit with 16 multipliers and an
  adder tree in every bank, and a 2 KB global buffer per channel holding the input. Every MAC
  command makes each bank consume 32 B of one output's weights; a bank produces a finished dot
  product, read back 16 outputs (one per bank) per 32-byte register read.

Programs are real command streams, timed on :class:`archsim.memory.controller.DramTiming`
together with any host traffic, so PIM work and host traffic contend on the channels. Every
channel runs the same program on its share of the data, and channels in PIM mode do not
interact, so by default only channel 0's program is emitted (``emit_channels``); the totals of
a :class:`Program` (bytes, MACs) are for all channels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsim.config.compute import AimConfig, HbmPimConfig
from archsim.config.system import SystemConfig
from archsim.memory.commands import (
    ACT_AB,
    MAC_AB,
    PRE_AB,
    RD_REG,
    SET_ALL,
    SET_EVEN,
    SET_ODD,
    WR_AB,
    WR_REG,
)
from archsim.memory.controller import RequestBatch
from archsim.pim.command_stream import RESERVED_ROW, CommandStream

# HBM-PIM all-bank mode entry and exit, per pseudo-channel (PIMSimulator's GEMV kernel, counted
# in /work notes): 16 parking reads, 4 ACT + WR to a reserved row (single-bank to all-bank),
# one CRF program write and one mode write; on exit one mode write and two more, then 16 reads.
HBM_PIM_ENTER_READS = 16
HBM_PIM_ENTER_BANKS = 4
HBM_PIM_ENTER_WRITES = 2
HBM_PIM_EXIT_WRITES = 3
HBM_PIM_EXIT_READS = 16

BYTES_PER_COMMAND = 32  # one column access of a unit: 256 bits


@dataclass
class Program:
    """A PIM program for every channel, plus what it moves over the host link."""

    commands: CommandStream
    broadcast_bytes: int  # host -> units (register writes)
    readback_bytes: int  # units -> host (register reads or result reads)
    macs: int
    host_reduce_flops: int  # partial sums the host adds up after readback
    channels: int = 1  # channels the whole op uses (programs emitted for fewer are identical)
    emitted: int = 1  # channels whose programs are in ``commands``

    def batch(self, first_id: int = 0) -> RequestBatch:
        if not len(self.commands):
            return RequestBatch.empty()
        return RequestBatch.pim_program(*self.commands.arrays(), first_id=first_id)


def enter_hbm_pim(cmds: CommandStream, ch: int) -> None:
    cmds.add(RD_REG, ch, SET_ALL, RESERVED_ROW, count=HBM_PIM_ENTER_READS)
    for bank in range(HBM_PIM_ENTER_BANKS):
        cmds.add(ACT_AB, ch, bank, RESERVED_ROW)
        cmds.add(WR_REG, ch, SET_ALL, RESERVED_ROW, bank)
        cmds.add(PRE_AB, ch, bank, RESERVED_ROW)
    cmds.add(WR_REG, ch, SET_ALL, RESERVED_ROW, count=HBM_PIM_ENTER_WRITES)


def exit_hbm_pim(cmds: CommandStream, ch: int) -> None:
    cmds.add(WR_REG, ch, SET_ALL, RESERVED_ROW, count=HBM_PIM_EXIT_WRITES)
    cmds.add(RD_REG, ch, SET_ALL, RESERVED_ROW, count=HBM_PIM_EXIT_READS)


def _cheaper(a: Program, b: Program) -> Program:
    """The program with less work per channel: its commands plus its share of read-back."""

    def cost(p: Program) -> float:
        return len(p.commands) / p.emitted + p.readback_bytes / p.channels / BYTES_PER_COMMAND

    return a if cost(a) <= cost(b) else b


def hbm_pim_gemv(
    system: SystemConfig,
    outputs: int,
    inputs: int,
    batch: int = 1,
    emit_channels: int = 1,
    matrices: int = 1,
    split: str = "auto",
) -> Program:
    """y = W x with W [outputs, inputs] spread over every pseudo-channel's banks (FP16).

    ``batch`` vectors go through the same matrix; ``matrices`` independent products (attention
    heads) run back to back in one all-bank session. ``split`` spreads the matrix over the
    channels by output rows (each channel finishes its outputs) or by input columns (each
    channel returns partial sums of every output, which the host adds up across channels: the
    cross-channel reduction, paid in read-back bytes); ``auto`` takes the cheaper.
    """
    if split == "auto":
        args = (system, outputs, inputs, batch, emit_channels, matrices)
        return _cheaper(hbm_pim_gemv(*args, "outputs"), hbm_pim_gemv(*args, "inputs"))
    pim = system.pim
    assert isinstance(pim, HbmPimConfig)
    org = system.memory.organization
    channels = org.bus_channels
    units = org.banks // pim.banks_per_unit
    tile = pim.lanes * pim.grf_entries  # inputs per GRF_A load (128)
    per_row = org.columns * org.device_width // 8 // BYTES_PER_COMMAND  # commands per open row
    by_inputs = split == "inputs"
    full_outputs, full_inputs = outputs, inputs
    if by_inputs:
        inputs = math.ceil(inputs / channels)
    outputs_per_channel = outputs if by_inputs else math.ceil(outputs / channels)
    group = units * pim.grf_entries  # outputs per pass: each unit fills GRF_B with 8 outputs
    groups = math.ceil(outputs_per_channel / group)
    sets = (SET_ALL,) if pim.banks_per_unit == 1 else (SET_EVEN, SET_ODD)
    products = batch * matrices
    cmds = CommandStream()

    def input_tile(ch: int, row: int, chunk: int, per_unit: int) -> int:
        writes = math.ceil(chunk / pim.lanes)  # one 256-bit register per 16 inputs
        cmds.add(WR_REG, ch, SET_ALL, RESERVED_ROW, count=writes)
        macs = per_unit * writes
        # Each unit walks its even bank's row, then its odd bank's (a unit of one bank walks
        # that bank's rows).
        step = 0
        while macs > 0:
            n = min(per_row, macs)
            bank_set = sets[step % len(sets)]
            cmds.add(ACT_AB, ch, bank_set, row)
            cmds.add(MAC_AB, ch, bank_set, row, count=n)
            cmds.add(PRE_AB, ch, bank_set, row)
            macs -= n
            step += 1
            if step % len(sets) == 0:
                row += 1
        return row + 1 if step % len(sets) else row

    def output_group(ch: int, row: int, in_group: int) -> int:
        per_unit = math.ceil(in_group / units)
        full, rest = divmod(inputs, tile)
        row = cmds.repeat(full, row, lambda r: input_tile(ch, r, tile, per_unit))
        if rest:
            row = input_tile(ch, row, rest, per_unit)
        # GRF_B holds 16-lane partial sums of 8 outputs per unit: write them to a row.
        cmds.add(ACT_AB, ch, sets[0], row)
        cmds.add(WR_AB, ch, sets[0], row, count=per_unit)
        cmds.add(PRE_AB, ch, sets[0], row)
        return row + 1

    def product(ch: int, row: int) -> int:
        full, rest = divmod(outputs_per_channel, group)
        row = cmds.repeat(full, row, lambda r: output_group(ch, r, group))
        return output_group(ch, row, rest) if rest else row

    emit = min(emit_channels, channels)
    for ch in range(emit):
        enter_hbm_pim(cmds, ch)
        # Full tiles, full groups and products repeat the same commands on fresh rows: each
        # is compiled once and copied (CommandStream.repeat).
        cmds.repeat(products, RESERVED_ROW + 1, lambda r, ch=ch: product(ch, r))
        exit_hbm_pim(cmds, ch)
    broadcast = channels * products * groups * inputs * 2
    # 16 FP16 partial sums per output (per channel when split by inputs), added up on the host.
    partials = channels if by_inputs else 1
    readback = products * full_outputs * partials * BYTES_PER_COMMAND
    return Program(
        cmds,
        broadcast,
        readback,
        products * full_outputs * full_inputs,
        products * full_outputs * (partials * pim.lanes - 1),
        channels,
        emit,
    )


def aim_gemv(
    system: SystemConfig,
    outputs: int,
    inputs: int,
    batch: int = 1,
    emit_channels: int = 1,
    matrices: int = 1,
) -> Program:
    """y = W x on AiM: each bank computes whole dot products; the input sits in the buffer."""
    pim = system.pim
    assert isinstance(pim, AimConfig)
    org = system.memory.organization
    channels = org.bus_channels
    banks = org.banks
    elem = 2
    per_command = BYTES_PER_COMMAND // elem  # weights per bank per MAC command (16)
    row_elems = org.columns * org.device_width // 8 // elem  # weights per bank row (1024)
    # A unit with several accumulators takes that many input vectors per pass over the
    # weights (grouped-query attention: a KV head's query heads); they share the buffer.
    vectors = min(pim.vectors_per_pass, batch)
    buffer_elems = int(pim.global_buffer_bytes) // elem // vectors
    outputs_per_channel = math.ceil(outputs / channels)
    groups = math.ceil(outputs_per_channel / banks)  # one output per bank per group
    chunks = math.ceil(inputs / buffer_elems)
    products = math.ceil(batch / vectors) * matrices
    cmds = CommandStream()
    broadcast = 0
    emit = min(emit_channels, channels)

    macs_per_output = math.ceil(inputs / per_command)
    # Short dot products (attention over a head's 128 dims) share a row: a bank stores its
    # outputs' weights back to back, so one ACT serves several outputs (AttAcc's token layout).
    per_row = max(1, (row_elems // per_command) // macs_per_output) if chunks == 1 else 1

    def product(ch: int, row: int) -> int:
        nonlocal broadcast
        if per_row > 1:
            writes = math.ceil(inputs * vectors * elem / BYTES_PER_COMMAND)
            cmds.add(WR_REG, ch, SET_ALL, RESERVED_ROW, count=writes)
            broadcast += writes * BYTES_PER_COMMAND * channels * products // emit
            for g0 in range(0, groups, per_row):
                cmds.add(ACT_AB, ch, SET_ALL, row)
                for g in range(g0, min(groups, g0 + per_row)):
                    column = (g - g0) * macs_per_output
                    cmds.add(MAC_AB, ch, SET_ALL, row, column, count=macs_per_output)
                    # 16 results per vector, one per bank
                    cmds.add(RD_REG, ch, SET_ALL, RESERVED_ROW, g, count=vectors)
                cmds.add(PRE_AB, ch, SET_ALL, row)
                row += 1
            return row
        for g in range(groups):
            for chunk in range(chunks):
                n_in = min(buffer_elems, inputs - chunk * buffer_elems)
                # The buffer holds one chunk of the input: reload it unless it is already
                # there (a single chunk stays for every group).
                if chunks > 1 or g == 0:
                    writes = math.ceil(n_in * vectors * elem / BYTES_PER_COMMAND)
                    cmds.add(WR_REG, ch, SET_ALL, RESERVED_ROW, count=writes)
                    broadcast += writes * BYTES_PER_COMMAND * channels * products // emit
                macs = math.ceil(n_in / per_command)
                while macs > 0:
                    n = min(macs, row_elems // per_command)
                    cmds.add(ACT_AB, ch, SET_ALL, row)
                    cmds.add(MAC_AB, ch, SET_ALL, row, count=n)
                    cmds.add(PRE_AB, ch, SET_ALL, row)
                    macs -= n
                    row += 1
            # 16 results per vector, one per bank
            cmds.add(RD_REG, ch, SET_ALL, RESERVED_ROW, g, count=vectors)
        return row

    for ch in range(emit):
        # Every product runs the same commands on fresh rows: compiled once, copied.
        cmds.repeat(products, RESERVED_ROW + 1, lambda r, ch=ch: product(ch, r))
    readback = channels * products * groups * vectors * BYTES_PER_COMMAND
    macs = batch * matrices * outputs * inputs
    return Program(cmds, broadcast, readback, macs, 0, channels, emit)


def hbm_pim_eltwise(
    system: SystemConfig, elements: int, operands: int = 2, emit_channels: int = 1
) -> Program:
    """z = x op y over FP16 vectors stored in the banks; the result is written back in place."""
    pim = system.pim
    assert isinstance(pim, HbmPimConfig)
    org = system.memory.organization
    channels = org.bus_channels
    units = org.banks // pim.banks_per_unit
    per_command = units * pim.lanes  # elements per all-bank column command per channel
    per_row = org.columns * org.device_width // 8 // BYTES_PER_COMMAND
    steps = math.ceil(math.ceil(elements / channels) / per_command)
    cmds = CommandStream()
    emit = min(emit_channels, channels)
    for ch in range(emit):
        enter_hbm_pim(cmds, ch)
        row = RESERVED_ROW + 1
        done = 0
        while done < steps:
            n = min(per_row, steps - done)
            # Operand x in the even banks, y (and the result) in the odd banks of one row.
            cmds.add(ACT_AB, ch, SET_EVEN, row)
            cmds.add(MAC_AB, ch, SET_EVEN, row, count=n)
            cmds.add(PRE_AB, ch, SET_EVEN, row)
            cmds.add(ACT_AB, ch, SET_ODD, row)
            # The units hold grf_entries results, so the reads of y and the writes of z go in
            # runs of that many columns, as Samsung's element-wise kernels do: one read/write
            # turnaround (tRTW, tWTR) per run instead of per column (Lee et al., ISCA 2021).
            for first in range(0, n, pim.grf_entries):
                k = min(pim.grf_entries, n - first)
                for _ in range(operands - 1):
                    cmds.add(MAC_AB, ch, SET_ODD, row, first, count=k)
                cmds.add(WR_AB, ch, SET_ODD, row, first, count=k)
            cmds.add(PRE_AB, ch, SET_ODD, row)
            done += n
            row += 1
        exit_hbm_pim(cmds, ch)
    return Program(cmds, 0, 0, 0, 0, channels, emit)


def aim_eltwise(
    system: SystemConfig, elements: int, operands: int = 2, emit_channels: int = 1
) -> Program:
    """Element-wise op on AiM: both operands read in their banks, the result written back.

    Results wait in the channel's global buffer, so operand reads and result writes go in runs
    of as many columns as it holds for every bank: one read/write turnaround per run, not per
    column [assumption: the buffer serves as the result staging area; AiM's papers do not say
    how element-wise results are staged]."""
    org = system.memory.organization
    channels = org.bus_channels
    per_command = org.banks * BYTES_PER_COMMAND // 2
    per_row = org.columns * org.device_width // 8 // BYTES_PER_COMMAND
    steps = math.ceil(math.ceil(elements / channels) / per_command)
    run = max(1, int(system.pim.global_buffer_bytes // (BYTES_PER_COMMAND * org.banks)))
    cmds = CommandStream()
    emit = min(emit_channels, channels)
    for ch in range(emit):
        row = RESERVED_ROW + 1
        done = 0
        while done < steps:
            n = min(per_row, steps - done)
            cmds.add(ACT_AB, ch, SET_ALL, row)
            for first in range(0, n, run):
                k = min(run, n - first)
                cmds.add((MAC_AB,) * operands, ch, SET_ALL, row, first, count=k)
                cmds.add(WR_AB, ch, SET_ALL, row, first, count=k)
            cmds.add(PRE_AB, ch, SET_ALL, row)
            done += n
            row += 1
    return Program(cmds, 0, 0, 0, 0, channels, emit)
