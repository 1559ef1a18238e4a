"""Capacity-driven tiling of a matrix product on a host with an on-chip buffer.

C[M, N] = A[M, K] x B[K, N]. The buffer holds (double-buffered, so half of it at a time) a
block of C being accumulated plus the panels of A and B that feed it. Every block of C re-reads
its A panel once per block column and its B panel once per block row, so the DRAM traffic is

    M K ceil(N / Tn) + K N ceil(M / Tm) + M N        (elements)

and the best block (Tm, Tn) is the one that minimizes it while fitting. An operand that fits in
half the buffer stays resident and is read once (the vector of a GEMV, so its matrix streams
exactly once); when nothing fits, traffic grows the way a real accelerator's does. The search is
over powers of two and the full dimensions, exact for the dimensions models use and within a few
percent otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Tiling:
    tm: int
    tn: int
    dram_read_bytes: int
    dram_write_bytes: int

    @property
    def dram_bytes(self) -> int:
        return self.dram_read_bytes + self.dram_write_bytes


def _candidates(n: int) -> list[int]:
    out = {n}
    p = 1
    while p < n:
        out.add(p)
        p *= 2
    return sorted(out)


def tile_gemm(
    m: int,
    n: int,
    k: int,
    buffer_bytes: float,
    a_bytes: float,
    b_bytes: float,
    c_bytes: float,
    k_panel: int = 128,
) -> Tiling:
    """Least-traffic block for one GEMM; element sizes in bytes (fractional for int4)."""
    budget = buffer_bytes / 2  # double buffering: load the next panels while computing
    tk = min(k, k_panel)
    best: Tiling | None = None
    for tm in _candidates(m):
        for tn in _candidates(n):
            need = tm * tn * c_bytes + tk * (tm * a_bytes + tn * b_bytes)
            if need > budget and not (tm == 1 and tn == 1):
                continue
            # An operand that fits in half the budget stays resident and is read once.
            a_all, b_all = m * k * a_bytes, k * n * b_bytes
            a_reads = a_all if a_all <= budget / 2 else a_all * math.ceil(n / tn)
            b_reads = b_all if b_all <= budget / 2 else b_all * math.ceil(m / tm)
            reads = a_reads + b_reads
            writes = m * n * c_bytes
            t = Tiling(tm, tn, math.ceil(reads), math.ceil(writes))
            if best is None or t.dram_bytes < best.dram_bytes:
                best = t
    assert best is not None
    return best
