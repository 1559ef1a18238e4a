"""Shared fixtures: small traces and helpers for running the controller directly."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config.presets import list_presets, load_system

ALL_SYSTEMS = list_presets("systems")
# DRAM-only presets (for replay and the timing studies) and full systems (for `archsim run`).
SYSTEMS = [n for n in ALL_SYSTEMS if load_system(n).host is None]
RUN_SYSTEMS = [n for n in ALL_SYSTEMS if load_system(n).host is not None]


@pytest.fixture(params=SYSTEMS)
def system(request):
    return load_system(request.param)


def addresses(cfg, pattern: str, n: int, seed: int = 0) -> np.ndarray:
    org = cfg.memory.organization
    if pattern == "stream":
        return np.arange(n, dtype=np.uint64) * np.uint64(org.line_bytes)
    rng = np.random.default_rng(seed)
    return rng.integers(0, org.capacity_bytes // org.line_bytes, n, dtype=np.uint64) * np.uint64(
        org.line_bytes
    )
