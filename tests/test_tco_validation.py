"""The TCO and carbon validation studies stay within their bounds (analysis/validate_tco.py)."""

from __future__ import annotations

import pytest

from archsim.energy.validation import tco_studies


@pytest.mark.parametrize("study", tco_studies(), ids=lambda s: s.name)
def test_tco_study_within_bound(study):
    assert study.ok, f"{study.name}: model {study.model:g} vs {study.reference:g}"
