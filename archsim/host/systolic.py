"""Compute cycles of matrix products on systolic arrays.

One array, as SCALE-Sim counts it. C[M, N] = A[M, K] B[K, N] on an R x C array, no memory
stalls. Operands map onto the array as (spatial rows Sr, spatial columns Sc, temporal T):

* output stationary (OS): Sr = M, Sc = N, T = K; a fold takes T + R + C - 2 cycles (stream T
  operand rows, drain C - 1, skew R - 1);
* weight stationary (WS): Sr = K, Sc = N, T = M; a fold takes 2R + C + T - 2 (load R weight
  rows first).

Folds do not overlap and partial folds cost as much as full ones, so the total is
ceil(Sr/R) ceil(Sc/C) x fold - 1 (SCALE-Sim reports the last cycle's index). These closed forms
were read from SCALE-Sim v2 (scalesim-project/scale-sim-v2 @22f88b1, systolic_compute_os.py and
systolic_compute_ws.py) and match its reported cycles exactly on the 48 cases pinned in
tests/test_host.py (arrays 8x8 to 128x128, GEMMs from 33x17x9 to 512^3 and a 4096x4096 GEMV).

Double-buffered weights (``pipelined_gemm_cycles``): a weight-stationary array with a second
weight buffer (the TPU's matrix unit holds one weight tile plus one for double-buffering, to hide
the 256 cycles a tile takes to shift in: Jouppi et al., ISCA 2017, section 2) loads the next
fold's R weight rows while the current fold streams, and the next fold's operands follow the
current ones into the array without waiting for it to drain. After the first fold (R + T),
each fold costs max(T, R) cycles (its weights load while the previous fold streams); one fill
and drain (R + C - 2) is paid once. A single fold costs exactly what SCALE-Sim counts, and no
GEMM costs more.

Many arrays (``plan_gemms``): a batch of ``count`` equal GEMMs is spread over the arrays the way
GPU and TPU tilers do: each GEMM gets a group of arrays, ``arrays // group`` GEMMs run at once and
the batch takes ``ceil(count / at_once)`` rounds. Inside a group the GEMM is cut into a grid of
gm x gn x gk blocks (M, N and K each split), one block per array; a split of K leaves partial sums
that the vector unit adds ((gk - 1) M N additions per GEMM). The arrays of all cores form one
pool (a GPU's SMs x tensor cores, a TPU's TensorCores x MXUs), so a grid may span cores. The
group and grid minimize the batch's cycles; blocks are the largest that give each array its
share, so the search is over the distinct per-array fold counts and exact for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

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


def pipelined_gemm_cycles(m: int, n: int, k: int, rows: int, cols: int, dataflow: str) -> int:
    """One GEMM on one array whose weights are double-buffered (weight stationary only; an
    output-stationary array loads no weights and keeps SCALE-Sim's count)."""
    if dataflow != "ws":
        return gemm_cycles(m, n, k, rows, cols, dataflow)
    folds = math.ceil(k / rows) * math.ceil(n / cols)
    return rows + m + (folds - 1) * max(m, rows) + rows + cols - 2 - 1


def array_cycles(
    m: int, n: int, k: int, rows: int, cols: int, dataflow: str, double_buffered: bool
) -> int:
    """One GEMM on one array, with or without double-buffered weights."""
    if double_buffered:
        return pipelined_gemm_cycles(m, n, k, rows, cols, dataflow)
    return gemm_cycles(m, n, k, rows, cols, dataflow)


@dataclass(frozen=True)
class Plan:
    """How ``count`` equal GEMMs spread over the arrays, and what it costs."""

    cycles: float  # array cycles / MACs per PE + partial-sum cycles, the whole batch
    array_cycles: int  # cycles of one round on the arrays (one block per array)
    reduce_flops: int  # partial-sum additions of a split K, the whole batch
    group: int  # arrays per GEMM
    grid: tuple[int, int, int]  # splits of (M, N, K) over the group
    rounds: int


def _splits(folds: int, limit: int) -> list[int]:
    """The fewest arrays that give each array ceil(folds / s) folds, for each distinct count."""
    out = []
    s = 1
    while s <= min(folds, limit):
        per = math.ceil(folds / s)
        out.append(math.ceil(folds / per))
        s = math.ceil(folds / (per - 1)) if per > 1 else folds + 1
    return out


@lru_cache(maxsize=1 << 14)
def _grid(
    m: int,
    n: int,
    k: int,
    rows: int,
    cols: int,
    dataflow: str,
    group: int,
    double_buffered: bool,
    split_k: bool,
) -> tuple[int, tuple[int, int, int]]:
    """Fewest array cycles of one GEMM on ``group`` arrays, and its (gm, gn, gk) grid."""
    size = {"m": m, "n": n, "k": k}
    r_dim, c_dim, t_dim = _MAPPING[dataflow]
    grain = {r_dim: rows, c_dim: cols, t_dim: 1}
    folds = {d: math.ceil(size[d] / grain[d]) for d in size}

    def options(dim: str, limit: int) -> list[int]:
        return [1] if dim == "k" and not split_k else _splits(folds[dim], limit)

    best: tuple[int, tuple[int, int, int]] | None = None
    for sr in options(r_dim, group):
        for sc in options(c_dim, group // sr):
            rest = group // (sr * sc)
            st = 1 if t_dim == "k" and not split_k else min(size[t_dim], rest)
            split = {r_dim: sr, c_dim: sc, t_dim: st}
            block = {d: min(size[d], math.ceil(folds[d] / split[d]) * grain[d]) for d in size}
            cycles = array_cycles(
                block["m"], block["n"], block["k"], rows, cols, dataflow, double_buffered
            )
            grid = (split["m"], split["n"], split["k"])
            if best is None or (cycles, grid[2]) < (best[0], best[1][2]):
                best = (cycles, grid)
    assert best is not None
    return best


@lru_cache(maxsize=1 << 14)
def plan_gemms(
    count: int,
    m: int,
    n: int,
    k: int,
    rows: int,
    cols: int,
    dataflow: str,
    arrays: int,
    double_buffered: bool = False,
    macs_per_pe: float = 1.0,
    vector_flops_per_cycle: float | None = None,
) -> Plan:
    """Spread ``count`` independent m x n x k GEMMs over ``arrays`` arrays (module docstring).

    ``cycles`` counts the arrays' cycles at ``macs_per_pe`` MACs per PE per cycle plus the
    vector unit's partial-sum additions. Without ``vector_flops_per_cycle`` K is never split.
    One array without double buffering is SCALE-Sim's count exactly.
    """
    best: Plan | None = None
    # One candidate per distinct number of rounds: the fewest GEMMs at once, the largest groups.
    for conc in _splits(count, arrays):
        group = arrays // conc
        rounds = math.ceil(count / conc)
        for split_k in (False, True) if vector_flops_per_cycle else (False,):
            cycles, grid = _grid(m, n, k, rows, cols, dataflow, group, double_buffered, split_k)
            reduce = count * (grid[2] - 1) * m * n
            total = rounds * cycles / macs_per_pe
            if reduce:
                total += reduce / vector_flops_per_cycle  # type: ignore[operator]
            plan = Plan(total, cycles, reduce, group, grid, rounds)
            if best is None or plan.cycles < best.cycles:
                best = plan
    assert best is not None
    return best
