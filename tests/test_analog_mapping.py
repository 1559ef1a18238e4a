"""Analog mapping: accuracy budget, cost-aware placement, warnings for forced slower ops, and
every cost of the closed loop in the run report."""

from __future__ import annotations

import pytest

from archsim.config.presets import load_system
from archsim.errors import ConfigError
from archsim.simulate import simulate
from archsim.workload.generators import gemv_workload


def _memory_system(**pim):
    return load_system("analog-rram", {"mapping": {"policy": "roofline"}, "pim": pim})


def test_accuracy_budget_sends_inaccurate_ops_to_the_host():
    wl = gemv_workload(1024, 512)
    (op,) = wl.ops
    loose = simulate(_memory_system(accuracy_budget=0.9), wl)
    assert loose.in_memory.placement.unit[op.name] == "memory"
    err = loose.report.in_memory.accuracy[f"op:{op.name}"]
    tight = simulate(_memory_system(accuracy_budget=err / 2), wl)
    assert tight.in_memory.placement.unit[op.name] == "host"
    assert "accuracy budget" in tight.in_memory.placement.reasons[op.name]


@pytest.mark.parametrize("budget", [0, 1, 1.5, -0.1])
def test_accuracy_budget_outside_zero_one_is_a_clear_error(budget):
    with pytest.raises(ConfigError, match=r"pim\.analog-crossbar\.accuracy_budget"):
        _memory_system(accuracy_budget=budget)
    from archsim.mapping.analog import check_budget

    with pytest.raises(ConfigError, match=r"accuracy_budget: .* not a relative error in \(0, 1\)"):
        check_budget(budget)


def test_tile_size_zero_is_a_clear_error():
    for field in ("rows", "cols"):
        with pytest.raises(ConfigError, match=rf"pim\.analog-crossbar\.{field}"):
            load_system("analog-rram", {"pim": {field: 0}})


def test_forced_slower_placement_warns_and_cost_policy_moves_it():
    from archsim.workload.solvers import solve_workload

    wl = solve_workload(64, "spd", seed=0)
    (op,) = [o for o in wl.ops if o.kind == "solve"]
    forced = simulate("closed-loop-rram", wl)  # policy 'memory'
    assert forced.in_memory.placement.unit[op.name] == "memory"
    (warning,) = forced.report.in_memory.warnings
    assert op.name in warning and "slower" in warning
    costed = simulate(load_system("closed-loop-rram", {"mapping": {"policy": "cost"}}), wl)
    assert costed.in_memory.placement.unit[op.name] == "host"
    assert "ns on the host" in costed.in_memory.placement.reasons[op.name]


def test_closed_loop_run_charges_programming_and_reports_endurance_and_settling():
    from archsim.workload.solvers import solve_workload

    wl = solve_workload(64, "spd", seed=0)
    report = simulate("closed-loop-rram", wl).report
    side = report.in_memory
    prog = side.programming
    assert prog is not None and prog["per_run_cells"] == 2 * 64 * 64
    assert side.energy_pj["pim_programming"] == pytest.approx(prog["per_run_energy_pj"])
    assert side.time_ns > prog["per_run_time_ns"] > 0
    assert 0 < prog["endurance_fraction_per_run"] < 1
    (name,) = [o.name for o in wl.ops if o.kind == "solve"]
    assert 0 < prog[f"op:{name}:settling_ns"] <= prog[f"op:{name}:settling_bound_ns"]
    assert report.baseline.programming is None


def test_static_weights_programming_is_amortized_over_inferences():
    wl = gemv_workload(1024, 512)
    few = simulate(_memory_system(inferences_per_programming=10), wl).report.in_memory
    many = simulate(_memory_system(inferences_per_programming=1e6), wl).report.in_memory
    assert few.programming["static_cells"] == 2 * 1024 * 512
    assert few.programming["static_energy_pj"] == pytest.approx(
        many.programming["static_energy_pj"]
    )
    assert few.energy_pj["pim_programming"] == pytest.approx(
        few.programming["static_energy_pj"] / 10
    )
    assert few.energy_pj["pim_programming"] == pytest.approx(
        1e5 * many.energy_pj["pim_programming"]
    )
    assert few.programming["static_availability_lost"] > many.programming[
        "static_availability_lost"
    ]
