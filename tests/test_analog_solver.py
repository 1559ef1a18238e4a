"""Closed-loop solver: finite-gain error vs closed form, settling vs ODE, stability, refinement,
digital comparison, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config.presets import load_yaml_model
from archsim.errors import ArchsimError
from archsim.pim.analog.closed_loop import solve
from archsim.pim.analog.closed_loop_config import ClosedLoopConfig
from archsim.pim.analog.ode import simulate_settling
from archsim.pim.analog.presets import load_device, load_periphery
from archsim.pim.analog.settling import check_stable, settling_time_s
from archsim.pim.analog.study import make_problem, run_solve


def _cfg(**update):
    cfg = load_yaml_model(ClosedLoopConfig, "circuits", "default")
    return cfg.model_copy(update=update)


def _solve(a, device="ideal", digital=False, **update):
    b = np.random.default_rng(0).standard_normal(a.shape[0])
    return solve(a, b, _cfg(**update), load_device(device), load_periphery("default").adc,
                 0, digital)  # fmt: skip


def test_finite_gain_error_matches_closed_form_and_scales_with_gain():
    a = make_problem("toeplitz", 24, 0)
    errs = []
    for gain in (1e3, 1e4, 1e5):
        r = _solve(a, gain=gain)
        assert r.finite_gain_error == pytest.approx(r.finite_gain_error_closed_form, rel=0.1)
        errs.append(r.finite_gain_error)
    assert errs[0] / errs[1] == pytest.approx(10, rel=0.1)
    assert errs[1] / errs[2] == pytest.approx(10, rel=0.1)


def test_settling_formula_against_ode():
    """τ·ln(1/ε) is exact for an error in the slowest mode and an upper bound from V = 0."""
    a = make_problem("toeplitz", 16, 1)
    d = np.abs(a).sum(axis=1)
    lam = check_stable(a, load_device("ideal"))
    formula = settling_time_s(lam, 1e8, 1e-3)
    slow = simulate_settling(a, d, np.ones(16), 1e8, 1e-3, slowest_mode_start=True)
    assert slow / formula == pytest.approx(1.0, abs=0.05)
    cold = simulate_settling(a, d, np.ones(16), 1e8, 1e-3)
    assert 0.2 < cold / formula < 1.05


def test_unstable_matrix_is_rejected_with_reason():
    a = np.diag([1.0, -1.0, 2.0])
    with pytest.raises(ArchsimError, match="no stable closed-loop solution"):
        _solve(a)


def test_exact_settling_matches_the_ode_and_sits_below_the_bound():
    """The eigendecomposition response agrees with an RK4 integration of the circuit ODE from
    V = 0; on an ill-conditioned matrix the bound τ·ln(1/ε) overestimates it."""
    from archsim.pim.analog.settling import exact_settling_time_s

    for kind, n, seed in (("toeplitz", 16, 1), ("spd", 24, 3)):
        a = make_problem(kind, n, seed)
        d = np.abs(a).sum(axis=1)
        current = np.random.default_rng(seed).standard_normal(n)
        target = -np.linalg.solve(a, current)
        exact = exact_settling_time_s(a / d[:, None], target, 1e8, 1e-3)
        ode = simulate_settling(a, d, current, 1e8, 1e-3)
        assert exact == pytest.approx(ode, rel=0.02)
        bound = settling_time_s(check_stable(a, load_device("ideal")), 1e8, 1e-3)
        assert exact < bound


def test_programming_is_charged_and_tighter_programming_is_slower_but_better():
    a = make_problem("spd", 32, 0)
    loose = _solve(a, device="rram", programming_tolerance=2e-3)
    tight = _solve(a, device="rram", programming_tolerance=1e-4)
    for r in (loose, tight):
        assert r.programming.cells == 2 * 32 * 32
        assert r.energy_pj["programming"] == pytest.approx(r.programming.energy_pj)
        assert r.time_s > r.programming.time_s > 0
        assert 0 < r.programming.endurance_fraction < 1
    assert tight.programming.iterations > loose.programming.iterations
    assert tight.programming.time_s > loose.programming.time_s
    assert tight.solution_error < loose.solution_error


def test_refinement_to_tolerance_meets_it_and_costs_residuals():
    from archsim.pim.analog.refinement import residual_host

    a = make_problem("spd", 48, 2)
    b = np.random.default_rng(0).standard_normal(48)
    cfg = _cfg()
    host = residual_host(cfg)
    r = solve(a, b, cfg, load_device("rram"), load_periphery("default").adc, 0, False,
              tolerance=1e-6, host=host)  # fmt: skip
    assert r.relative_residual <= 1e-6
    assert np.linalg.norm(b - a @ r.x) / np.linalg.norm(b) <= 1e-6
    assert r.refinement_iterations >= 1
    assert r.residual_time_s > 0 and r.energy_pj["residual"] > 0
    with pytest.raises(ArchsimError, match="tolerance"):
        solve(a, b, cfg, load_device("rram"), load_periphery("default").adc, 0, False,
              tolerance=1.5)  # fmt: skip


def test_refinement_that_cannot_reach_the_tolerance_says_so():
    a = make_problem("spd", 32, 0)
    b = np.random.default_rng(0).standard_normal(32)
    cfg = _cfg(max_refinement_iterations=1)
    with pytest.raises(ArchsimError, match="relative residual"):
        solve(a, b, cfg, load_device("rram"), load_periphery("default").adc, 0, False,
              tolerance=1e-12)  # fmt: skip


def test_refinement_reduces_error():
    a = make_problem("toeplitz", 24, 0)
    plain = _solve(a, device="pcm")
    refined = _solve(a, device="pcm", refinement_iterations=6)
    assert refined.solution_error < 0.2 * plain.solution_error
    assert refined.energy_total_pj > plain.energy_total_pj


def test_energy_sums_and_digital_comparison_moves_less_with_pim():
    r = run_solve(None, "toeplitz", 32, None, None, "ideal", None, 0)
    e = r["energy_pj"]
    assert e["total"] == pytest.approx(sum(v for k, v in e.items() if k != "total"))
    host, pim = r["digital"]["host_npu"], r["digital"]["in_bank_pim"]
    assert host["iterations"] >= 1
    assert pim["host_link_bytes_per_iteration"] < host["host_link_bytes_per_iteration"]


def test_deterministic():
    a = run_solve(None, "toeplitz", 16, None, None, "rram", None, 2, digital=False)
    b = run_solve(None, "toeplitz", 16, None, None, "rram", None, 2, digital=False)
    assert a == b


def test_bad_matrix_input(tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ArchsimError, match="--matrix: contains NaN"):
        run_solve(str(bad), "spd", 4, None, None, "ideal", None, 0)
    rect = tmp_path / "rect.npy"
    np.save(rect, np.ones((2, 3)))
    with pytest.raises(ArchsimError, match="square"):
        run_solve(str(rect), "spd", 4, None, None, "ideal", None, 0)
    with pytest.raises(ArchsimError, match="--n"):
        run_solve(None, "spd", 0, None, None, "ideal", None, 0)
    with pytest.raises(ArchsimError, match="gain"):
        run_solve(None, "spd", 4, None, -5.0, "ideal", None, 0)


def test_regression_and_eigen_modes():
    reg_ideal = run_solve(None, "spd", 12, None, None, "ideal", None, 0, op="regression")
    reg_pcm = run_solve(None, "spd", 12, None, None, "pcm", None, 0, op="regression")
    assert reg_ideal["solution_error"] < 0.01 and reg_pcm["solution_error"] < 0.01
    # Without the circuit's precision programming, PCM's own programming noise shows.
    from archsim.pim.analog.closed_loop import regression
    from archsim.workload.ops import RegressionOp
    from archsim.workload.solvers import make_matrix

    spec = RegressionOp(name="r", inputs=["x", "y"], outputs=["w"], samples=48, features=12)
    x, y = make_matrix(spec)
    adc = load_periphery("default").adc
    native = regression(x, y, _cfg(programming_tolerance=None), load_device("pcm"), adc)
    assert native.solution_error > 0.01
    eig = run_solve(None, "covariance", 24, None, None, "ideal", None, 0, op="eigen")
    assert eig["solution_error"] < 0.01 and eig["settling_time_s"] > 0
    e = eig["energy_pj"]
    assert e["total"] == pytest.approx(sum(v for k, v in e.items() if k != "total"))


def test_eigen_without_dominant_eigenvalue_is_rejected():
    from archsim.pim.analog.closed_loop import eigen

    with pytest.raises(ArchsimError, match="no dominant eigenvalue"):
        eigen(np.eye(4), _cfg(), load_device("ideal"), load_periphery("default").adc)


def test_regression_refines_to_tolerance_with_ridge_and_costs_residuals():
    from archsim.pim.analog.closed_loop import regression
    from archsim.pim.analog.refinement import residual_host
    from archsim.workload.ops import RegressionOp
    from archsim.workload.solvers import make_matrix

    spec = RegressionOp(name="r", inputs=["x", "y"], outputs=["w"], samples=192, features=48)
    x, y = make_matrix(spec)
    cfg = _cfg()
    adc = load_periphery("default").adc
    ridge = 5.0
    plain = regression(x, y, cfg, load_device("rram"), adc, ridge=ridge)
    r = regression(x, y, cfg, load_device("rram"), adc, ridge=ridge, tolerance=1e-7,
                   host=residual_host(cfg))  # fmt: skip
    # Checked against the normal equations, not the model's own residual.
    resid = x.T @ y - (x.T @ x + ridge * np.eye(48)) @ r.x
    assert np.linalg.norm(resid) / np.linalg.norm(x.T @ y) <= 1e-7
    ridge_w = np.linalg.solve(x.T @ x + ridge * np.eye(48), x.T @ y)
    assert np.linalg.norm(r.x - ridge_w) / np.linalg.norm(ridge_w) < 1e-5 < plain.solution_error
    assert r.refinement_iterations >= 1 and r.residual_passes == 2 * (r.refinement_iterations + 1)
    assert r.residual_time_s > 0 and r.energy_pj["residual"] > 0
    assert r.settling_time_s > plain.settling_time_s
    with pytest.raises(ArchsimError, match="regression refinement reached"):
        regression(x, y, _cfg(max_refinement_iterations=1), load_device("rram"), adc,
                   tolerance=1e-12)  # fmt: skip


def test_eigenvector_refines_to_tolerance_and_costs_residuals():
    from archsim.pim.analog.closed_loop import eigen
    from archsim.pim.analog.refinement import residual_host
    from archsim.workload.ops import EigenOp
    from archsim.workload.solvers import make_matrix

    cfg = _cfg()
    adc = load_periphery("default").adc
    for kind in ("pagerank", "covariance"):
        spec = EigenOp(name="e", inputs=["a"], outputs=["v"], n=64, matrix_kind=kind,
                       iterations=10)  # fmt: skip
        a, x0 = make_matrix(spec)
        plain = eigen(a, cfg, load_device("rram"), adc, x0=x0)
        r = eigen(a, cfg, load_device("rram"), adc, x0=x0, tolerance=1e-7,
                  host=residual_host(cfg))  # fmt: skip
        v = r.x / np.linalg.norm(r.x)
        rho = v @ a @ v
        assert np.linalg.norm(a @ v - rho * v) / abs(rho) <= 1e-7
        vals, vecs = np.linalg.eig(a)
        ref = np.real(vecs[:, np.argmax(np.abs(vals))])
        ref /= np.linalg.norm(ref)
        err = min(np.linalg.norm(v - ref), np.linalg.norm(v + ref))
        assert err < 1e-5 and err < plain.solution_error / 100
        assert r.refinement_iterations >= 1 and r.residual_time_s > 0
        assert r.settling_time_s > plain.settling_time_s > 0
    with pytest.raises(ArchsimError, match="eigenvector refinement reached"):
        eigen(a, _cfg(max_refinement_iterations=1), load_device("rram"), adc, tolerance=1e-14)
