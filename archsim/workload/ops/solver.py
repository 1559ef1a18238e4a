"""The in-memory solver family: linear solve, regression, dominant eigenvector.

Each counts the digital baseline's arithmetic: Cholesky (symmetric positive definite kinds) or LU
without pivoting (diagonally dominant), two triangular solves per right-hand side, the normal
equations for regression, power iteration for the eigenvector.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from archsim.config.base import FieldError
from archsim.workload.ops.base import Expect, Gemm, OpBase, Positive, elements, shape

SolveMatrix = Literal["spd", "diagonally-dominant", "covariance", "toeplitz", "kalman"]
SYMMETRIC_KINDS = ("spd", "covariance", "toeplitz", "kalman")


def cholesky_macs(n: int) -> int:
    """Σ_j j·(n-j) multiply-adds of a right-looking Cholesky factorization: (n³-n)/6."""
    return (n**3 - n) // 6


def lu_macs(n: int) -> int:
    """Σ_k (n-k-1)² multiply-adds of LU without pivoting: (n-1)n(2n-1)/6."""
    return (n - 1) * n * (2 * n - 1) // 6


class _SolverBase(OpBase):
    tolerance: float = Field(1e-6, gt=0, lt=1, description="target relative residual")
    seed: int = Field(0, ge=0, description="seed of the matrix (see solvers.make_matrix)")


def _square(n: int) -> Expect:
    return shape("inputs[0]", (n, n), f"({n}, {n})")


class SolveOp(_SolverBase):
    """Dense ``A x = b`` with ``rhs`` right-hand sides; inputs ``[A, b]``, output ``[x]``."""

    kind: Literal["solve"] = "solve"
    n: Positive
    rhs: Positive = 1
    matrix_kind: SolveMatrix = "spd"
    condition: float | None = Field(None, ge=1, description="condition number (spd)")
    input_names: ClassVar = ("a", "b")
    arity_in: ClassVar = (2, 2)

    def _factor(self) -> tuple[int, int]:
        """(MACs, other FLOPs: divisions and square roots) of the factorization."""
        n = self.n
        if self.matrix_kind in SYMMETRIC_KINDS:
            return cholesky_macs(n), n + n * (n - 1) // 2
        return lu_macs(n), n * (n - 1) // 2

    def macs(self) -> int:
        return self._factor()[0] + self.rhs * self.n * (self.n - 1)

    def flops(self) -> int:
        per_rhs = 2 * self.n if self.matrix_kind in SYMMETRIC_KINDS else self.n
        return 2 * self.macs() + self._factor()[1] + self.rhs * per_rhs

    def expectations(self) -> list[Expect]:
        n, r = self.n, self.rhs
        return [
            _square(n),
            elements("inputs[1]", n * r, f"n·rhs is {n}·{r}"),
            elements("outputs[0]", n * r, f"n·rhs is {n}·{r}"),
        ]


class RegressionOp(_SolverBase):
    """Least squares / ridge ``min |Xw - y|² + ridge·|w|²``; inputs ``[X, y]``, output ``[w]``.

    Baseline arithmetic: the normal equations (XᵀX, symmetric, so F(F+1)/2 dot products of
    length S; Xᵀy), then a Cholesky solve of the F x F system.
    """

    kind: Literal["regression"] = "regression"
    samples: Positive
    features: Positive
    ridge: float = Field(0.0, ge=0, description="L2 penalty (0: ordinary least squares)")
    matrix_kind: Literal["gaussian", "correlated"] = "gaussian"
    input_names: ClassVar = ("x", "y")
    arity_in: ClassVar = (2, 2)

    @property
    def n(self) -> int:
        return self.features

    def macs(self) -> int:
        s, f = self.samples, self.features
        return s * f * (f + 1) // 2 + s * f + cholesky_macs(f) + f * (f - 1)

    def flops(self) -> int:
        f = self.features
        return 2 * self.macs() + f + f + f * (f - 1) // 2 + 2 * f

    def expectations(self) -> list[Expect]:
        s, f = self.samples, self.features
        return [
            shape("inputs[0]", (s, f), f"(samples, features) = ({s}, {f})"),
            elements("inputs[1]", s, f"samples is {s}"),
            elements("outputs[0]", f, f"features is {f}"),
        ]


class EigenOp(_SolverBase):
    """Dominant eigenvector by power iteration; input ``[A]``, output ``[v]``."""

    kind: Literal["eigen"] = "eigen"
    n: Positive
    matrix_kind: Literal["pagerank", "spd", "covariance"] = "pagerank"
    iterations: Positive = Field(description="power iterations of the digital baseline")
    damping: float = Field(0.85, gt=0, lt=1, description="PageRank damping factor")
    degree: Positive = Field(8, description="mean out-degree of the generated PageRank graph")
    input_names: ClassVar = ("a",)

    @model_validator(mode="after")
    def _degree_fits(self) -> EigenOp:
        if self.matrix_kind == "pagerank" and self.degree >= self.n:
            raise FieldError(
                "degree", f"a graph of {self.n} nodes has at most {self.n - 1} out-links per node"
            )
        return self

    def macs(self) -> int:
        return self.iterations * self.n * self.n

    def flops(self) -> int:
        # Each iteration also normalizes: n absolute values summed, n divisions.
        return 2 * self.macs() + self.iterations * 2 * self.n

    def gemm_view(self) -> list[Gemm]:
        return [(self.iterations, self.n, 1, self.n)]

    def expectations(self) -> list[Expect]:
        return [_square(self.n), elements("outputs[0]", self.n, f"n is {self.n}")]
