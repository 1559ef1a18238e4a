"""End-to-end accuracy: an MLP on scikit-learn's digits through analog tiles."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")

from archsim.pim.analog.digits import analog_accuracy, train


@pytest.fixture(scope="module")
def model():
    return train()


def test_ideal_tiles_keep_float_accuracy(model):
    acc, energy = analog_accuracy(model, "ideal", "ideal")
    assert acc == pytest.approx(model.float_accuracy, abs=0.005)
    assert energy > 0


def test_drift_and_few_adc_bits_cost_accuracy(model):
    fresh, e9 = analog_accuracy(model, "pcm", "default", {"adc_bits": 9}, 0.0)
    old, e4 = analog_accuracy(model, "pcm", "default", {"adc_bits": 4}, 3.1536e7)
    assert fresh > 0.9
    assert old < fresh - 0.2
    assert e4 < e9  # fewer ADC bits, less conversion energy


def test_recalibration_holds_accuracy_over_a_deployment(model):
    """A year at 55 C: without recalibration PCM drift costs accuracy; re-reading a known input
    (global drift compensation) recovers most of it."""
    year = 3.1536e7
    fresh = analog_accuracy(model, "pcm", t_inference_s=0.0, temperature_c=55.0)[0]
    raw = analog_accuracy(model, "pcm", t_inference_s=year, compensation="none",
                          temperature_c=55.0)[0]  # fmt: skip
    recal = analog_accuracy(model, "pcm", t_inference_s=year, compensation="global",
                            temperature_c=55.0)[0]  # fmt: skip
    assert raw < recal <= fresh + 0.01
    assert raw < fresh - 0.02


@pytest.mark.slow
def test_full_study_trends(model):
    from analysis.study_digits import ADC_BITS, DRIFT_S, grid

    acc = grid(model, "pcm")
    # Drift only hurts (small Monte Carlo slack), and more ADC bits only help.
    for bits in ADC_BITS:
        assert acc[(bits, DRIFT_S[-1])] <= acc[(bits, DRIFT_S[0])] + 0.01
    for t in DRIFT_S:
        assert acc[(ADC_BITS[-1], t)] >= acc[(ADC_BITS[0], t)]
    # RRAM has no drift fit but relaxes (configs/devices/rram.yaml, lifetime): it only hurts too.
    rram = grid(model, "rram")
    for bits in ADC_BITS:
        assert rram[(bits, DRIFT_S[-1])] <= rram[(bits, DRIFT_S[0])] + 0.01
