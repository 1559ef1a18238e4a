"""Synthetic memory traces: streaming, uniform random, and strided access patterns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Pattern = Literal["stream", "random", "strided"]
PATTERNS = ("stream", "random", "strided")


@dataclass(frozen=True)
class MemoryTraceSpec:
    """What to generate; addresses are multiples of ``line_bytes`` within ``[base, base+span)``."""

    pattern: Pattern
    requests: int
    read_ratio: float = 1.0
    span_bytes: int = 1 << 30
    stride_bytes: int = 64
    line_bytes: int = 64
    base: int = 0
    interval: int = 0  # arrival spacing in the target format's time unit (0: back to back)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.pattern not in PATTERNS:
            raise ValueError(f"unknown pattern {self.pattern!r}; choose {', '.join(PATTERNS)}")
        if self.requests < 1:
            raise ValueError("requests must be at least 1")
        if not 0.0 <= self.read_ratio <= 1.0:
            raise ValueError("read ratio must be within [0, 1]")
        if self.line_bytes < 1 or self.span_bytes < self.line_bytes:
            raise ValueError("span must hold at least one line")
        if self.stride_bytes < 1:
            raise ValueError("stride must be positive")
        if self.interval < 0 or self.base < 0:
            raise ValueError("interval and base must not be negative")


def generate(spec: MemoryTraceSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (arrival, is_write, address) arrays for ``spec``; same seed, same trace."""
    rng = np.random.default_rng(spec.seed)
    n = spec.requests
    lines = spec.span_bytes // spec.line_bytes
    if spec.pattern == "stream":
        offset = (np.arange(n, dtype=np.uint64) % np.uint64(lines)) * np.uint64(spec.line_bytes)
    elif spec.pattern == "random":
        offset = rng.integers(0, lines, n, dtype=np.uint64) * np.uint64(spec.line_bytes)
    else:
        step = np.uint64(spec.stride_bytes)
        offset = (np.arange(n, dtype=np.uint64) * step) % np.uint64(lines * spec.line_bytes)
        offset -= offset % np.uint64(spec.line_bytes)
    address = offset + np.uint64(spec.base)
    is_write = rng.random(n) >= spec.read_ratio
    arrival = np.arange(n, dtype=np.int64) * spec.interval
    return arrival, is_write, address
