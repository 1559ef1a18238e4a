"""Lifetime study: accuracy and cost per 1M inferences against deployment age."""

from __future__ import annotations

import pytest

import archsim.config  # noqa: F401  (config before the analog modules: import order)
from archsim.errors import ArchsimError
from archsim.pim.analog.lifetime import lifetime

SMALL = {"inputs": 64, "outputs": 64, "rows": 64, "cols": 64}
YEAR = 3.156e7


def test_error_grows_with_age_without_reprogramming_and_recalibration_helps():
    for device in ("pcm", "rram"):
        pts = lifetime(device, [0.0, 3600.0, YEAR], **SMALL)
        assert pts[0].rel_error < pts[-1].rel_error
        assert all(p.programmings == 1 and p.programming_j_per_1m == 0 for p in pts)
    raw = lifetime("pcm", [YEAR], compensation="none", **SMALL)[0]
    recal = lifetime("pcm", [YEAR], compensation="global", **SMALL)[0]
    assert recal.rel_error < raw.rel_error


def test_heat_ages_faster():
    cool = lifetime("pcm", [86400.0], temperature_c=25.0, **SMALL)[0]
    hot = lifetime("pcm", [86400.0], temperature_c=85.0, **SMALL)[0]
    assert hot.rel_error > cool.rel_error


def test_accuracy_triggered_reprogramming_bounds_error_and_is_charged():
    fresh = lifetime("pcm", [0.0], **SMALL)[0].rel_error
    threshold = fresh * 1.3
    none = lifetime("pcm", [YEAR], **SMALL)[0]
    kept = lifetime("pcm", [YEAR], policy="accuracy", threshold=threshold, **SMALL)[0]
    assert none.rel_error > threshold
    assert kept.rel_error < threshold and kept.programmings > 1
    assert kept.programming_j_per_1m > 0 and kept.availability_lost > 0
    total = kept.inference_j_per_1m + kept.programming_j_per_1m
    assert kept.energy_j_per_1m == pytest.approx(total)
    assert kept.endurance_used > none.endurance_used


def test_periodic_reprogramming_counts_writes():
    pts = lifetime("rram", [10 * 86400.0], policy="period", period_s=86400.0, **SMALL)
    assert pts[0].programmings == 11 and pts[0].since_programming_s == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ages_s": [-1.0]}, "--ages"),
        ({"ages_s": []}, "--ages"),
        ({"ages_s": [1.0], "policy": "sometimes"}, "--policy"),
        ({"ages_s": [1.0], "policy": "period"}, "--period"),
        ({"ages_s": [1.0], "policy": "accuracy", "threshold": 1.5}, "--threshold"),
        ({"ages_s": [1.0], "rate_per_s": 0}, "--rate"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, message):
    with pytest.raises(ArchsimError, match=message):
        lifetime("pcm", **kwargs)


def test_rram_relaxation_reproduces_the_published_one_day_spread():
    """Programmed then aged one day, RRAM cells spread around their target as Wan et al.
    (Nature 2022) measured: the std of the 1-day fit aihwkit took from their figures
    (ReRamWan2022NoiseModel, polynomial in g/gmax, uS at gmax 40 uS)."""
    import numpy as np

    from archsim.pim.analog import devices, kernels
    from archsim.pim.analog.presets import load_device

    dev = load_device("rram")
    one_day = [0.701, 22.086, -50.773, 47.095, -16.458]  # aihwkit's coefficients, not the YAML's
    for r in (0.25, 0.5, 0.75):
        target = np.full((200, 200), r * dev.gmax_us)
        prog = kernels.program_kernel(
            target, devices.programming_sigma_us(dev, target), 0.0, 0.0, 0.0,
            dev.gmin_us, dev.gmax_us, 7,
        )
        aged = devices.age(dev, prog, 86400.0, 0.0, 11)
        published = np.polynomial.polynomial.polyval(r, one_day)
        assert np.std(aged - target) == pytest.approx(published, rel=0.03)
    # No data after two days: the spread is held, not extrapolated.
    g = np.array([20.0])
    assert devices.relaxation_sigma_us(dev, g, 3e7) == pytest.approx(
        devices.relaxation_sigma_us(dev, g, 172800.0)
    )
