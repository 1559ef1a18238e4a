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
