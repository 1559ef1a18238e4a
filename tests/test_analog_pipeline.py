"""Conv weight replication and layer pipelining on analog tiles (ISAAC / PUMA style)."""

from __future__ import annotations

import math

import pytest

from archsim.config.presets import load_system
from archsim.pim.analog.execute import tiles_needed
from archsim.pim.analog.pipeline import plan as _plan
from archsim.pim.analog.pipeline import segments
from archsim.workload.builder import GraphBuilder
from archsim.workload.ops import Conv2dOp


def _two_convs(first_out: int = 16):
    """conv a: 4 -> 16 channels on 8x8 (3x3, same); conv b: 16 -> 8 on 8x8, then on 4x4 (stride 2).
    a: 64 output pixels, b: 16: a is the bottleneck."""
    b = GraphBuilder("two-convs", "fp16")
    b.tensor("x", (1, 4, 8, 8), role="input")
    b.tensor("wa", (first_out, 4, 3, 3), role="weight")
    b.tensor("ya", (1, first_out, 8, 8))
    b.tensor("wb", (8, first_out, 3, 3), role="weight")
    b.tensor("yb", (1, 8, 4, 4), role="output")
    b.op(Conv2dOp, "a", ["x", "wa"], ["ya"], in_channels=4, out_channels=first_out, height=8,
         width=8, kernel=(3, 3), padding=(1, 1))  # fmt: skip
    b.op(Conv2dOp, "b", ["ya", "wb"], ["yb"], in_channels=first_out, out_channels=8, height=8,
         width=8, kernel=(3, 3), padding=(1, 1), stride=(2, 2))  # fmt: skip
    return b.build()


def plan(pim, wl):
    return _plan(pim, wl, tiles_needed)


def _pim(tiles: int, replication: str = "balance"):
    return load_system(
        "analog-rram",
        {"pim": {"tiles": tiles, "conv_replication": replication}, "mapping": {"policy": "memory"}},
    )


def test_replication_fills_only_spare_tiles_and_balances_the_bottleneck():
    wl = _two_convs()
    none = plan(_pim(10, "none").pim, wl)
    assert none.copies == {"a": 1, "b": 1} and none.tiles_used == 2
    p = plan(_pim(10).pim, wl)
    # 8 spare tiles (one per copy): 7 more of a (64 pixels) and 1 more of b (16) balance both
    # at 8 steps; 4 steps would need 15 + 3 more.
    assert p.tiles_used == 10
    assert p.copies == {"a": 8, "b": 2}
    steps = {layer.name: layer.time_steps() for layer in p.layers}
    assert steps == {"a": 8, "b": 8}
    more = plan(_pim(1000).pim, wl)
    assert more.copies == {"a": 64, "b": 16}  # at most one copy per output pixel
    assert more.tiles_used == 80


def test_pipelined_time_is_fill_plus_bottleneck():
    wl = _two_convs()
    p = plan(_pim(2, "none").pim, wl)
    # b starts after 3 rows of a's 8-wide output (24 MVMs) and ends with its last 4-wide
    # output row after a's 64 MVMs: 68, against 64 + 16 one after the other.
    assert p.sequential_steps() == 64 + 16
    assert p.pipelined_steps() == 64 + 4
    balanced = plan(_pim(10).pim, wl)  # a: 8 copies, b: 2
    # b starts after ceil(24/8) = 3 steps and runs its 8: 11 (a ends at 8, b's last row 2 after).
    assert balanced.pipelined_steps() == 11
    assert segments(wl, {"a", "b"}) == [["a", "b"]]
    assert segments(wl, {"b"}) == [["b"]]


def test_run_charges_replicas_time_tiles_and_programming():
    from archsim.simulate import simulate

    wl = _two_convs()
    one = simulate(_pim(10, "none"), wl).report.in_memory
    rep = simulate(_pim(10), wl).report.in_memory
    assert rep.programming["tiles_used"] == 10 and one.programming["tiles_used"] == 2
    assert rep.programming["op:a:copies"] == 8 and rep.programming["op:b:copies"] == 2
    # Programming: every copy is written (one copy's write-verify energy per op, times copies).
    from archsim.pim.analog.execute import static_programming

    pim = _pim(10).pim
    e = {op.name: sum(c.energy_pj for c in static_programming(pim, op)) for op in wl.ops}
    assert one.programming["static_energy_pj"] == pytest.approx(e["a"] + e["b"])
    assert rep.programming["static_energy_pj"] == pytest.approx(8 * e["a"] + 2 * e["b"])
    assert rep.programming["pipeline_sequential_ns"] < one.programming["pipeline_sequential_ns"]
    assert rep.programming["pipeline_ns"] <= rep.programming["pipeline_sequential_ns"]
    seq_one = one.programming["pipeline_sequential_ns"]
    seq_rep = rep.programming["pipeline_sequential_ns"]
    assert seq_rep / seq_one == pytest.approx((8 + 8) / (64 + 16))
    assert math.isclose(one.accuracy["op:a"], rep.accuracy["op:a"])  # same weights, same error


def test_bad_replication_value_names_the_field():
    from archsim.errors import ConfigError

    with pytest.raises(ConfigError, match="conv_replication"):
        load_system("analog-rram", {"pim": {"conv_replication": "max"}})


def test_groups_of_a_conv_run_at_once_on_their_own_tiles():
    """A depthwise conv's groups each hold their own tile: the layer takes one pass over its
    pixels, not one per group."""
    from archsim.simulate import simulate
    from archsim.workload.generators import conv_workload

    dense = simulate(_pim(64, "none"), conv_workload(8, 8, 8)).report.in_memory.programming
    depthwise = simulate(_pim(64, "none"), conv_workload(8, 8, 8, groups=8))
    dw = depthwise.report.in_memory.programming
    assert dw["tiles_used"] == 8 and dense["tiles_used"] == 1
    assert dw["pipeline_sequential_ns"] == pytest.approx(dense["pipeline_sequential_ns"])
