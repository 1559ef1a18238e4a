"""Shared fixtures: small traces and helpers for running the controller directly."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config.presets import list_presets, load_system

SYSTEMS = list_presets("systems")


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
