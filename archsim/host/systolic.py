"""Compute cycles of a matrix product on a systolic array, as SCALE-Sim counts them.

C[M, N] = A[M, K] B[K, N] on an R x C array, no memory stalls. Operands map onto the array as
(spatial rows Sr, spatial columns Sc, temporal T):

* output stationary (OS): Sr = M, Sc = N, T = K; a fold takes T + R + C - 2 cycles (stream T
  operand rows, drain C - 1, skew R - 1);
* weight stationary (WS): Sr = K, Sc = N, T = M; a fold takes 2R + C + T - 2 (load R weight
  rows first).

Folds do not overlap and partial folds cost as much as full ones, so the total is
ceil(Sr/R) ceil(Sc/C) x fold - 1 (SCALE-Sim reports the last cycle's index). These closed forms
were read from SCALE-Sim v2 (scalesim-project/scale-sim-v2 @22f88b1, systolic_compute_os.py and
systolic_compute_ws.py) and match its reported cycles exactly on the 48 cases pinned in
tests/test_host.py (arrays 8x8 to 128x128, GEMMs from 33x17x9 to 512^3 and a 4096x4096 GEMV).
"""

from __future__ import annotations

import math

_MAPPING = {"os": ("m", "n", "k"), "ws": ("k", "n", "m")}


def fold_cycles(t: int, rows: int, cols: int, dataflow: str) -> int:
    """Cycles of one fold streaming ``t`` operand rows through a rows x cols array."""
    if dataflow == "os":
        return t + rows + cols - 2
    return 2 * rows + cols + t - 2


def gemm_cycles(m: int, n: int, k: int, rows: int, cols: int, dataflow: str) -> int:
    """Compute cycles of one GEMM on one rows x cols array (SCALE-Sim's count)."""
    dims = {"m": m, "n": n, "k": k}
    sr, sc, t = (dims[name] for name in _MAPPING[dataflow])
    folds = math.ceil(sr / rows) * math.ceil(sc / cols)
    return folds * fold_cycles(t, rows, cols, dataflow) - 1


def split_gemm_cycles(
    m: int, n: int, k: int, rows: int, cols: int, dataflow: str, arrays: int
) -> int:
    """Cycles with the GEMM split over ``arrays`` identical arrays along its larger of M and N."""
    if arrays <= 1:
        return gemm_cycles(m, n, k, rows, cols, dataflow)
    if n >= m:
        return gemm_cycles(m, math.ceil(n / arrays), k, rows, cols, dataflow)
    return gemm_cycles(math.ceil(m / arrays), n, k, rows, cols, dataflow)
