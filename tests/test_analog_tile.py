"""Analog crossbar tiles: exactness with ideal parts, monotone ADC error, device statistics,
determinism, energy conservation, and bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from archsim.errors import ArchsimError
from archsim.pim.analog import devices, kernels
from archsim.pim.analog.presets import load_device, tile_config
from archsim.pim.analog.study import run_mvm
from archsim.pim.analog.tile import AnalogMatrix


def _problem(n_in=300, n_out=140, batch=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n_in, n_out)), rng.uniform(-1, 1, (batch, n_in))


def _rel(y, exact):
    return float(np.linalg.norm(y - exact) / np.linalg.norm(exact))


def test_ideal_is_exact_across_tiles():
    w, x = _problem()
    m = AnalogMatrix(w, tile_config("ideal", "ideal", rows=128, cols=64))
    assert m.row_tiles == 3 and m.col_tiles == 3
    assert _rel(m.mvm(x), x @ w) < 1e-5  # float32 products


@pytest.mark.parametrize("dac", [None, 7])
def test_error_grows_as_adc_bits_fall(dac):
    w, x = _problem()
    errors = []
    for bits in (12, 10, 8, 6, 4):
        over = {"adc_bits": bits, "adc_range": 40.0, "dac_bits": dac}
        m = AnalogMatrix(w, tile_config("ideal", "ideal", over))
        errors.append(_rel(m.mvm(x), x @ w))
    assert all(a < b for a, b in itertools.pairwise(errors)), errors


def test_same_seed_same_result_and_seed_matters():
    w, x = _problem()
    a = AnalogMatrix(w, tile_config("pcm", t_inference=3600.0, seed=3)).mvm(x)
    b = AnalogMatrix(w, tile_config("pcm", t_inference=3600.0, seed=3)).mvm(x)
    c = AnalogMatrix(w, tile_config("pcm", t_inference=3600.0, seed=4)).mvm(x)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_tile_results_do_not_depend_on_neighbours():
    """A tile's draws depend on its own seed only: the first tile of a bigger matrix matches."""
    w, _ = _problem(256, 128)
    w[0, 0] = 2.0  # the same max|W| for both, so the same conductance scale
    cfg = tile_config("pcm", rows=128, cols=64, seed=1, compensation="none")
    big = AnalogMatrix(w, cfg)
    small = AnalogMatrix(w[:128, :64], cfg)
    assert np.array_equal(big._tiles[0][0].weights, small._tiles[0][0].weights)


def test_drift_compensation_helps_pcm_after_a_day():
    w, x = _problem()
    day = 86400.0
    comp = AnalogMatrix(w, tile_config("pcm", t_inference=day, compensation="global")).mvm(x)
    raw = AnalogMatrix(w, tile_config("pcm", t_inference=day, compensation="none")).mvm(x)
    assert _rel(comp, x @ w) < 0.5 * _rel(raw, x @ w)


def test_pcm_error_grows_with_drift_time():
    w, x = _problem()
    errs = [_rel(AnalogMatrix(w, tile_config("pcm", t_inference=t)).mvm(x), x @ w)
            for t in (0.0, 3600.0 * 24 * 365 * 10)]  # fmt: skip
    assert errs[0] < errs[1]


def test_column_calibration_corrects_gain_errors():
    w, x = _problem()
    day = 86400.0
    raw = AnalogMatrix(w, tile_config("pcm", t_inference=day, compensation="none"))
    cal = AnalogMatrix(
        w, tile_config("pcm", "default", {"column_calibration": True}, t_inference=day,
                       compensation="none"),
    )  # fmt: skip
    assert _rel(cal.mvm(x), x @ w) < 0.5 * _rel(raw.mvm(x), x @ w)


def test_ir_drop_and_stuck_cells_add_error():
    w, x = _problem()
    base = _rel(AnalogMatrix(w, tile_config("ideal", "ideal")).mvm(x), x @ w)
    ir = AnalogMatrix(w, tile_config("ideal", "ideal", {"wire_resistance": "20Ohm"},
                                     compensation="none"))  # fmt: skip
    assert _rel(ir.mvm(x), x @ w) > 100 * base


@pytest.mark.parametrize(
    "fault", [{"stuck_on_rate": 0.01}, {"stuck_off_rate": 0.05}, {"d2d_variation": 0.05}]
)
def test_stuck_cells_and_variation_add_error(fault):
    w, x = _problem()
    clean = _rel(AnalogMatrix(w, tile_config("ideal", "ideal")).mvm(x), x @ w)
    faulty = AnalogMatrix(w, tile_config("ideal", "ideal", None, fault, compensation="none"))
    assert _rel(faulty.mvm(x), x @ w) > 1e-3 > 100 * clean


def test_bit_slicing_recombines_to_the_sliced_precision():
    """Two 4-bit slices hold 8-bit weights: the error sits at the 8-bit quantization level."""
    w, x = _problem()
    over = {"weight_slices": 2, "bits_per_slice": 4, "adc_bits": None, "dac_bits": None,
            "adc_range": None, "out_noise": 0.0}  # fmt: skip
    m = AnalogMatrix(w, tile_config("ideal", "default", over))
    # 8-bit weights: error at the 8-bit quantization level, not exact and not coarse.
    err = _rel(m.mvm(x), x @ w)
    assert 1e-4 < err < 1e-2


def test_energy_total_is_sum_of_components():
    r = run_mvm("pcm", "default", 300, 200, 10, "gaussian", 60.0, "global", 1)
    e = r["energy_pj"]
    assert e["total"] == pytest.approx(sum(v for k, v in e.items() if k != "total"))
    assert all(v >= 0 for v in e.values())
    assert e["digital"] > 0  # two row tiles -> partial sums merged digitally


def test_adc_sharing_serializes_latency():
    w, x = _problem()
    lat = []
    for share in (1, 8, 32):
        m = AnalogMatrix(w, tile_config("pcm", "default", {"columns_per_adc": share}))
        m.mvm(x)
        lat.append(m.cost().latency_ns)
    assert lat[0] < lat[1] < lat[2]


@pytest.mark.parametrize("r", [0.1, 0.5, 1.0])
def test_pcm_programming_noise_and_drift_statistics(r):
    """Monte Carlo of the numba kernels against the aihwkit/Joshi 2020 polynomials."""
    dev = load_device("pcm")
    target = np.full((200, 200), r * dev.gmax_us)
    sigma = devices.programming_sigma_us(dev, target)
    gp = kernels.program_kernel(target, sigma, 0.0, 0.0, 0.0, 0.0, dev.gmax_us, 11)
    assert gp.std() == pytest.approx(sigma[0, 0], rel=0.05)
    assert gp.mean() == pytest.approx(target[0, 0], abs=3 * sigma[0, 0] / 200)
    # Drift alone (no read noise): nu = -ln(g/gp)/ln((t+t0)/t0) recovers mu and s.
    t = 1e6
    fixed = np.full_like(target, r * dev.gmax_us)
    mu, s = devices.drift_nu_stats(dev, fixed)
    g = kernels.drift_read_kernel(fixed, mu, s, np.zeros_like(fixed), t, dev.drift.t0_s, 0.0, 5)
    nu = -np.log(g / fixed) / np.log((t + dev.drift.t0_s) / dev.drift.t0_s)
    folded = np.abs(mu[0, 0] + s[0, 0] * np.random.default_rng(0).standard_normal(400_000))
    assert nu.mean() == pytest.approx(folded.mean(), rel=0.03)
    assert nu.std() == pytest.approx(folded.std(), rel=0.05)


def test_bad_input_is_a_clear_error():
    with pytest.raises(ArchsimError, match="adc_bits"):
        tile_config("pcm", "default", {"adc_bits": 40})
    with pytest.raises(ArchsimError, match="NaN"):
        AnalogMatrix(np.array([[np.nan, 1.0]]), tile_config("pcm"))
    with pytest.raises(ArchsimError, match="unknown"):
        tile_config("nosuchdevice")
    with pytest.raises(ArchsimError, match="stuck_on_rate"):
        tile_config("pcm", device_overrides={"stuck_on_rate": 0.7, "stuck_off_rate": 0.7})


def test_aihwkit_periphery_matches_aihwkit_within_one_point():
    """External: aihwkit 1.2.0's default inference periphery, ideal device (validation.py)."""
    from archsim.pim.analog.validation import AIHWKIT_REFERENCE, aihwkit_periphery_error

    assert abs(aihwkit_periphery_error("batch", 2) - AIHWKIT_REFERENCE["batch"]) <= 0.01
    assert abs(aihwkit_periphery_error("vector", 2) - AIHWKIT_REFERENCE["per_vector"]) <= 0.01


def test_bound_management_reruns_saturated_mvms_and_charges_them():
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (512, 64))
    x = rng.uniform(-1, 1, (32, 512))
    exact = x @ w

    def run(bm):
        cfg = tile_config("ideal", "aihwkit", {"bound_management": bm}, rows=512, cols=64)
        m = AnalogMatrix(w, cfg)
        y = m.mvm(x)
        return float(np.linalg.norm(y - exact) / np.linalg.norm(exact)), m

    clipped, plain = run("none")
    managed, bm = run("iterative")
    assert managed < 0.5 * clipped  # saturation dominated without it
    assert plain.passes_per_mvm == 1.0 and bm.passes_per_mvm > 1.0
    assert bm.cost().latency_ns == pytest.approx(plain.cost().latency_ns * bm.passes_per_mvm)
    assert bm.cost().energy_pj["adc"] > plain.cost().energy_pj["adc"]


def test_noise_management_none_clips_large_inputs():
    rng = np.random.default_rng(1)
    w = rng.uniform(-1, 1, (64, 32))
    x = 3 * rng.uniform(-1, 1, (16, 64))
    exact = x @ w
    errs = {}
    for nm in ("abs-max", "none"):
        cfg = tile_config("ideal", "ideal", {"noise_management": nm}, rows=64, cols=32)
        y = AnalogMatrix(w, cfg).mvm(x)
        errs[nm] = float(np.linalg.norm(y - exact) / np.linalg.norm(exact))
    assert errs["abs-max"] < 1e-5 < errs["none"]
