"""``archsim run`` on analog crossbar systems: accuracy in the report, determinism, placement."""

from __future__ import annotations

import pytest

from archsim.config.presets import load_system
from archsim.simulate import simulate
from archsim.workload.generators import gemv_workload


def test_analog_run_reports_accuracy_only_on_the_in_memory_side():
    report = simulate("analog-pcm", gemv_workload(1024, 512)).report
    acc = report.in_memory.accuracy
    assert report.baseline.accuracy is None
    assert acc is not None and 0 < acc["rel_error_rms"] < 1
    assert any(k.startswith("op:") for k in acc)
    assert report.comparison.data_movement_reduction > 1


def test_ideal_device_and_periphery_is_accurate():
    cfg = load_system("analog-pcm", {"pim": {"device": "ideal", "periphery": "ideal"}})
    acc = simulate(cfg, gemv_workload(1024, 512)).report.in_memory.accuracy
    assert acc["rel_error_rms"] < 1e-5


def test_drift_hurts_without_compensation():
    fresh = load_system("analog-pcm", {"pim": {"t_inference": 0, "compensation": "none"}})
    old = load_system("analog-pcm", {"pim": {"t_inference": 3.15e7, "compensation": "none"}})
    wl = gemv_workload(512, 512)
    a = simulate(fresh, wl).report.in_memory.accuracy["rel_error_rms"]
    b = simulate(old, wl).report.in_memory.accuracy["rel_error_rms"]
    assert b > 2 * a


def test_same_seed_same_accuracy_and_seed_matters():
    wl = gemv_workload(512, 256)
    a = simulate("analog-rram", wl, seed=1).report.in_memory.accuracy
    b = simulate("analog-rram", wl, seed=1).report.in_memory.accuracy
    c = simulate("analog-rram", wl, seed=2).report.in_memory.accuracy
    assert a == b and a != c


@pytest.mark.slow  # over 3 s (10 s under load): run by CI's slow stage
def test_dynamic_attention_operands_stay_digital():
    result = simulate("analog-rram", "llama2-7b-decode")
    units = {r.kind: r.unit for r in result.report.in_memory.ops}
    assert units.get("attention") == "host"
    assert "analog-crossbar" in units.values()


def test_bad_analog_pim_field_names_the_path():
    from archsim.errors import ConfigError

    with pytest.raises(ConfigError, match=r"pim\.analog-crossbar\.tiles"):
        load_system("analog-pcm", {"pim": {"tiles": 0}})
    for field in ("rows", "cols"):  # a tile size of 0
        with pytest.raises(ConfigError, match=rf"pim\.analog-crossbar\.{field}"):
            load_system("analog-rram", {"pim": {field: 0}})


def test_closed_loop_system_solves_in_the_crossbars():
    result = simulate("closed-loop-rram", "kalman-64x16")
    placement = result.in_memory.placement
    solver_ops = [op.name for op in result.workload.ops if op.kind == "solve"]
    assert solver_ops and all(placement.unit[n] == "memory" for n in solver_ops)
    acc = result.report.in_memory.accuracy
    assert all(f"op:{n}" in acc for n in solver_ops)


def test_matrix_the_loop_cannot_solve_stays_on_the_host_with_reason():
    from archsim.workload.solvers import solve_workload

    wl = solve_workload(48, "spd", seed=0, condition=1e6)
    result = simulate("closed-loop-rram", wl)
    (op,) = [o for o in result.workload.ops if o.kind == "solve"]
    assert result.in_memory.placement.unit[op.name] == "host"
    assert "closed loop" in result.in_memory.placement.reasons[op.name]


def test_weights_that_overflow_the_tiles_are_refused_with_the_count():
    from archsim.errors import ConfigError

    # 1024x512 fp16 GEMV: 4 x 2 tiles of 256x256 with the default one slice per weight.
    fits = load_system("analog-pcm", {"pim": {"tiles": 8}})
    assert simulate(fits, gemv_workload(1024, 512)).report.in_memory.accuracy is not None
    tight = load_system("analog-pcm", {"pim": {"tiles": 7}})
    with pytest.raises(ConfigError, match=r"pim\.tiles: .*need 8 tiles.*has 7"):
        simulate(tight, gemv_workload(1024, 512))


def test_closed_loop_matrices_count_against_the_tiles():
    from archsim.errors import ConfigError
    from archsim.workload.solvers import solve_workload

    # A 300x300 solve: 2 x 2 tiles of 256x256 for G+, as many for G-.
    wl = solve_workload(300, "diagonally-dominant", seed=0)
    fits = simulate(load_system("closed-loop-rram", {"pim": {"tiles": 8}}), wl)
    (op,) = [o for o in wl.ops if o.kind == "solve"]
    assert fits.in_memory.placement.unit[op.name] == "memory"  # so its tiles are counted
    with pytest.raises(ConfigError, match=r"pim\.tiles: .*need 8 tiles.*has 7"):
        simulate(load_system("closed-loop-rram", {"pim": {"tiles": 7}}), wl)


def test_adc_bits_knob_overrides_the_periphery_preset():
    wl = gemv_workload(512, 512)
    low = simulate(load_system("analog-pcm", {"pim": {"adc_bits": 3}}), wl).report.in_memory
    high = simulate(load_system("analog-pcm", {"pim": {"adc_bits": 10}}), wl).report.in_memory
    assert low.accuracy["rel_error_rms"] > 1.5 * high.accuracy["rel_error_rms"]
    assert low.energy_pj["pim_compute"] < high.energy_pj["pim_compute"]


def test_closed_loop_regression_refines_and_costs_residuals_at_full_size():
    """Refined to the op's tolerance inside ``run``; the residuals (two GEMVs over X each) are
    costed at the op's full size even when the solve runs on a smaller sample."""
    from archsim.workload.solvers import regression_workload

    wl = regression_workload(1024, 128, ridge=0.5)
    reports = []
    for sample in (512, 32):
        sys = load_system("closed-loop-rram", {"pim": {"solver_sample": sample}})
        rep = simulate(sys, wl).report.in_memory
        assert rep.accuracy["op:regression"] < 1e-5
        reports.append(rep.programming)
    full, sampled = reports
    assert full["op:regression:refinement_iterations"] >= 1
    steps = "op:regression:refinement_iterations"
    assert sampled[steps] == full[steps]  # same steps, so the same full-size residuals
    assert sampled["op:regression:residual_ns"] == pytest.approx(full["op:regression:residual_ns"])
    assert full["op:regression:residual_ns"] > 0
