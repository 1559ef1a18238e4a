"""Bounds of the analog validation studies (analysis/validate_analog.py)."""

from __future__ import annotations

import pytest

from archsim.pim.analog.validation import analog_studies

FINDINGS = analog_studies()


@pytest.mark.parametrize("study", FINDINGS.studies, ids=lambda s: f"{s.system}:{s.name}")
def test_study_within_bounds(study):
    assert study.ok, f"{study.name}: model {study.model:.4g} vs {study.reference:.4g}"


def test_adc_error_falls_with_bits_by_about_2x_per_bit():
    errs = FINDINGS.adc_errors
    # Quantization error halves per extra bit once the ADC dominates (4 -> 3 bits).
    assert 1.5 < errs[-1] / errs[-2] < 2.5
