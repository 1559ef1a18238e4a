"""PIM programs of many equal products: the fast-forward agrees with timing every command."""

from __future__ import annotations

import pytest

from archsim.config.presets import load_system
from archsim.pim.execute import _run_many
from archsim.pim.programs import aim_gemv, hbm_pim_gemv


@pytest.mark.parametrize(
    ("system", "gemv", "outputs", "inputs", "batch", "count"),
    [
        ("hbm2-pim", hbm_pim_gemv, 2048, 128, 1, 4000),
        # over 2 s: run by CI's slow stage (the other three cover both program kinds)
        pytest.param("hbm3-pim", hbm_pim_gemv, 128, 1024, 4, 1500, marks=pytest.mark.slow),
        ("gddr6-aim", aim_gemv, 1024, 128, 2, 1500),
        ("gddr6-aim", aim_gemv, 128, 4096, 1, 1000),
    ],
)
def test_fast_forward_is_within_one_percent_of_full(system, gemv, outputs, inputs, batch, count):
    cfg = load_system(system)

    def make(n):
        return gemv(cfg, outputs, inputs, batch, matrices=n)

    fast_p, fast = _run_many(cfg, make, count, "fast")
    full_p, full = _run_many(cfg, make, count, "full")
    # The fast path really sampled (its program is a short sample, not the whole).
    assert len(fast_p.commands) < len(full_p.commands)
    assert fast.cycles == pytest.approx(full.cycles, rel=0.01)
    for key, value in full.counts.items():
        # The host's read-back is timed apart from the program on the fast path, so the rows
        # that refreshes close during it fall at another phase: a few row activations either
        # way (of the program's thousands of all-bank PIM activations, counted apart).
        slack = 16.0 if key == "activations" else 1.0
        assert fast.counts[key] == pytest.approx(value, rel=0.01, abs=slack), key
    assert fast_p.readback_bytes == pytest.approx(full_p.readback_bytes, rel=0.01)
    assert fast_p.macs == full_p.macs
