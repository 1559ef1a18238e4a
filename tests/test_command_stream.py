"""PIM command programs as runs: expansion, repetition, and the compiled programs' counts."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.config.presets import load_system
from archsim.memory.commands import ACT_AB, MAC_AB, PRE_AB, WR_AB, WR_REG
from archsim.pim.command_stream import RESERVED_ROW, CommandStream
from archsim.pim.programs import hbm_pim_gemv


def explicit(runs):
    """The commands of ``runs`` written out one by one."""
    out = []
    for pattern, ch, bank_set, row, col, count in runs:
        for k in range(count):
            out += [(c, ch, bank_set, row, col + k) for c in pattern]
    return np.array(out, dtype=np.int64).reshape(-1, 5).T


def test_runs_expand_in_program_order_with_interleaved_patterns():
    s = CommandStream()
    s.add(ACT_AB, 0, 1, 5)
    s.add((MAC_AB, MAC_AB, WR_AB), 0, 1, 5, column=2, count=3)
    s.add(PRE_AB, 0, 1, 5)
    expected = explicit([((ACT_AB,), 0, 1, 5, 0, 1), ((MAC_AB, MAC_AB, WR_AB), 0, 1, 5, 2, 3),
                         ((PRE_AB,), 0, 1, 5, 0, 1)])  # fmt: skip
    assert len(s) == 11
    assert (np.array(s.arrays()) == expected).all()


block = st.lists(
    st.tuples(st.sampled_from([(ACT_AB,), (MAC_AB,), (MAC_AB, WR_AB), (WR_REG,)]),
              st.integers(0, 2), st.booleans(), st.integers(0, 40), st.integers(1, 9)),
    min_size=1, max_size=6,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(block, st.integers(0, 5), st.integers(1, 50))
def test_repeat_equals_writing_every_block_out(runs, times, start):
    """A repeated block is the block emitted ``times`` times on fresh rows; register accesses
    on the reserved row stay there."""

    def body(stream, row):
        for pattern, ch, reserved, col, count in runs:
            stream.add(pattern, ch, 0, RESERVED_ROW if reserved else row, col, count)
        return row + 2

    fast = CommandStream()
    end = fast.repeat(times, start, lambda r: body(fast, r))
    slow = CommandStream()
    row = start
    for _ in range(times):
        row = body(slow, row)
    assert end == row and len(fast) == len(slow)
    assert all((a == b).all() for a, b in zip(fast.arrays(), slow.arrays(), strict=True))
    assert fast.key() == slow.key()


def test_gemv_issues_one_mac_per_16_inputs_of_every_output():
    """Each all-bank MAC makes every unit take 16 inputs of one of its outputs."""
    system = load_system("hbm2-pim")
    org, pim = system.memory.organization, system.pim
    units = org.banks // pim.banks_per_unit
    outputs, inputs, heads = 4096, 4096, 3
    program = hbm_pim_gemv(system, outputs, inputs, matrices=heads, split="outputs")
    command = program.commands.arrays()[0]
    per_channel = math.ceil(outputs / org.bus_channels)
    assert (command == MAC_AB).sum() == heads * per_channel * inputs // (units * pim.lanes)
    # The input is broadcast 16 lanes per register write, once per output group.
    groups = math.ceil(per_channel / (units * pim.grf_entries))
    broadcasts = heads * groups * inputs // pim.lanes
    assert (command == WR_REG).sum() == broadcasts + 4 + 2 + 3  # + mode entry and exit writes
