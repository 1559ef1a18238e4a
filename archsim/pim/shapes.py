"""The matrix products of an op, as an in-memory unit sees them (weights as the matrix)."""

from __future__ import annotations


def gemv_shapes(op) -> list[tuple[int, int, int]]:
    """(batch, outputs, inputs) of each matrix product of a GEMV/GEMM, weights as the matrix."""
    shapes = []
    for count, m, n, k in op.gemm_view():
        if op.kind == "gemv":  # y[M] = W[M, K] x[K] for N vectors
            shapes += [(n, m, k)] * count
        else:  # C[M, N] = A[M, K] W[K, N]: N outputs per row of A
            shapes += [(m, n, k)] * count
    return shapes
