"""Compute cycles of a matrix product on a systolic array, as SCALE-Sim counts them.

Closed forms for the weight-stationary (WS) and output-stationary (OS) dataflows with no memory
stalls; tests/test_host.py pins them against SCALE-Sim runs. A GEMM is C[M, N] = A[M, K] B[K, N].
"""

from __future__ import annotations

import math

# (spatial rows, spatial columns, temporal) operand dimensions per dataflow:
#   OS: each PE owns an output element: Sr = M, Sc = N, T = K.
#   WS: each PE holds a weight: Sr = K, Sc = N, T = M.
_MAPPING = {"os": ("m", "n", "k"), "ws": ("k", "n", "m")}


def fold_cycles(sr: int, sc: int, t: int, rows: int, cols: int) -> int:
    """Cycles of one fold: fill the array, stream T operands, drain (SCALE-Sim's 2R + C + T - 2)."""
    return 2 * rows + cols + t - 2


def gemm_cycles(m: int, n: int, k: int, rows: int, cols: int, dataflow: str) -> int:
    """Compute cycles of one GEMM on one rows x cols array."""
    dims = {"m": m, "n": n, "k": k}
    sr, sc, t = (dims[name] for name in _MAPPING[dataflow])
    folds = math.ceil(sr / rows) * math.ceil(sc / cols)
    return folds * fold_cycles(sr, sc, t, rows, cols)


def split_gemm_cycles(
    m: int, n: int, k: int, rows: int, cols: int, dataflow: str, arrays: int
) -> int:
    """Cycles with the GEMM split over ``arrays`` identical arrays along its larger of M and N."""
    if arrays <= 1:
        return gemm_cycles(m, n, k, rows, cols, dataflow)
    if n >= m:
        return gemm_cycles(m, math.ceil(n / arrays), k, rows, cols, dataflow)
    return gemm_cycles(math.ceil(m / arrays), n, k, rows, cols, dataflow)
