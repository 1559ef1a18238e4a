"""Solver workloads for the closed-loop in-memory solver, and the matrices behind them.

The trace stores only sizes, a ``matrix_kind``, a ``tolerance`` and a ``seed``; :func:`make_matrix`
regenerates the actual operands from them, deterministically (same op, same arrays, on any
machine), so a solver model can run on real numbers.

Matrix kinds:

* ``spd``: Q·diag(λ)·Qᵀ with Q a random orthogonal matrix and λ log-spaced from 1 down to
  1/``condition`` (default condition 100);
* ``diagonally-dominant``: uniform off-diagonal entries in [-1, 1], each diagonal entry 1.1 to 2
  times its row's off-diagonal sum (non-symmetric; LU without pivoting is stable);
* ``covariance``: the sample covariance of 2n correlated Gaussian samples, plus 1e-6·mean
  variance on the diagonal;
* ``toeplitz``: the AR(1) autocorrelation matrix ρ^|i-j|, ρ drawn in [0.3, 0.9];
* ``kalman``: an innovation covariance S = H·P·Hᵀ + R, the right-hand side H·P (the gain
  equation S·Kᵀ = H·P of a Kalman update);
* ``pagerank``: the Google matrix d·M + (1-d)/n of a random graph with ``degree`` out-links per
  node (M column-stochastic), whose dominant eigenvector is the PageRank vector.
"""

from __future__ import annotations

import math

import numpy as np

from archsim.errors import ConfigError
from archsim.workload.builder import GraphBuilder
from archsim.workload.generators import check_dtypes, check_positive
from archsim.workload.graph import Workload
from archsim.workload.ops import (
    EigenOp,
    EltwiseOp,
    GemmOp,
    GemvOp,
    RegressionOp,
    SolveOp,
)

_KIND_CODE = {
    "spd": 1, "diagonally-dominant": 2, "covariance": 3, "toeplitz": 4, "kalman": 5,
    "pagerank": 6, "gaussian": 7, "correlated": 8,
}  # fmt: skip
DEFAULT_CONDITION = 100.0


def _rng(op, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng(
        np.random.SeedSequence([op.seed, _KIND_CODE[op.matrix_kind], op.n, salt])
    )


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _spd(rng: np.random.Generator, n: int, condition: float) -> np.ndarray:
    q = _orthogonal(rng, n)
    eig = np.geomspace(1.0, 1.0 / condition, n)
    a = (q * eig) @ q.T
    return (a + a.T) / 2


def _covariance(rng: np.random.Generator, n: int) -> np.ndarray:
    samples = 2 * n
    mixing = rng.standard_normal((n, n)) / math.sqrt(n) + np.eye(n)
    x = rng.standard_normal((samples, n)) @ mixing
    x -= x.mean(axis=0)
    c = x.T @ x / (samples - 1)
    return c + 1e-6 * np.trace(c) / n * np.eye(n)


def _toeplitz(rng: np.random.Generator, n: int) -> np.ndarray:
    rho = rng.uniform(0.3, 0.9)
    idx = np.arange(n)
    return rho ** np.abs(idx[:, None] - idx[None, :])


def _diag_dominant(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.uniform(-1.0, 1.0, (n, n))
    np.fill_diagonal(a, 0.0)
    row = np.abs(a).sum(axis=1)
    np.fill_diagonal(a, np.maximum(row, 1.0) * rng.uniform(1.1, 2.0, n))
    return a


def _kalman(rng: np.random.Generator, m: int, states: int) -> tuple[np.ndarray, np.ndarray]:
    p = _spd(rng, states, 10.0)
    h = rng.standard_normal((m, states)) / math.sqrt(states)
    r = np.diag(rng.uniform(0.1, 1.0, m))
    s = h @ p @ h.T + r
    return (s + s.T) / 2, h @ p


def _pagerank(rng: np.random.Generator, n: int, degree: int, damping: float) -> np.ndarray:
    if n < 2:
        return np.ones((1, 1))
    links = np.zeros((n, n))
    out = min(degree, n - 1)
    for j in range(n):
        targets = rng.choice(n - 1, size=out, replace=False)
        targets[targets >= j] += 1  # no self-links
        links[targets, j] = 1.0 / out
    return damping * links + (1.0 - damping) / n


def make_matrix(op) -> tuple[np.ndarray, ...]:
    """The operands of a solver op, regenerated from its kind, sizes and seed.

    SOLVE: ``(A, b)`` with b of shape (n, rhs); REGRESSION: ``(X, y)``; EIGEN: ``(A, x0)``.
    """
    if isinstance(op, SolveOp):
        rng = _rng(op)
        n = op.n
        if op.matrix_kind == "kalman":
            return _kalman(rng, n, op.rhs)
        if op.matrix_kind == "spd":
            a = _spd(rng, n, op.condition or DEFAULT_CONDITION)
        elif op.matrix_kind == "covariance":
            a = _covariance(rng, n)
        elif op.matrix_kind == "toeplitz":
            a = _toeplitz(rng, n)
        else:
            a = _diag_dominant(rng, n)
        return a, _rng(op, 1).standard_normal((n, op.rhs))
    if isinstance(op, RegressionOp):
        rng = _rng(op)
        x = rng.standard_normal((op.samples, op.features))
        if op.matrix_kind == "correlated":
            x = x @ np.linalg.cholesky(_toeplitz(np.random.default_rng(op.seed), op.features)).T
        w = rng.standard_normal(op.features)
        y = x @ w + 0.01 * rng.standard_normal(op.samples)
        return x, y
    if isinstance(op, EigenOp):
        rng = _rng(op)
        if op.matrix_kind == "pagerank":
            a = _pagerank(rng, op.n, op.degree, op.damping)
        elif op.matrix_kind == "covariance":
            a = _covariance(rng, op.n)
        else:
            a = _spd(rng, op.n, DEFAULT_CONDITION)
        return a, np.full(op.n, 1.0 / op.n)
    kind = getattr(op, "kind", type(op).__name__)
    raise ConfigError(f"make_matrix: op {getattr(op, 'name', '?')!r} ({kind}) is not a solver op")


# ---------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------


def solve_workload(
    n: int,
    matrix_kind: str = "spd",
    rhs: int = 1,
    tolerance: float = 1e-6,
    seed: int = 0,
    condition: float | None = None,
    dtype: str = "fp32",
    name: str | None = None,
) -> Workload:
    """Dense ``A x = b``; A is the stationary operand (role weight), programmed once."""
    check_positive("solve", n=n, rhs=rhs)
    check_dtypes(dtype=dtype)
    b = GraphBuilder(name or f"solve-{n}-{matrix_kind}", dtype)
    a = b.tensor("A", (n, n), role="weight")
    rhs_t = b.tensor("b", (n, rhs), role="input")
    x = b.tensor("x", (n, rhs), role="output")
    b.op(
        SolveOp,
        "solve",
        [a, rhs_t],
        [x],
        n=n,
        rhs=rhs,
        matrix_kind=matrix_kind,
        tolerance=tolerance,
        seed=seed,
        condition=condition,
    )
    return b.build()


def regression_workload(
    samples: int,
    features: int,
    ridge: float = 0.0,
    matrix_kind: str = "gaussian",
    tolerance: float = 1e-6,
    seed: int = 0,
    dtype: str = "fp32",
    name: str | None = None,
) -> Workload:
    """Least squares (ridge when ``ridge`` > 0) of ``samples`` x ``features``."""
    check_positive("regression", samples=samples, features=features)
    check_dtypes(dtype=dtype)
    b = GraphBuilder(name or f"regression-{samples}x{features}", dtype)
    x = b.tensor("X", (samples, features), role="weight")
    y = b.tensor("y", (samples, 1), role="input")
    w = b.tensor("w", (features, 1), role="output")
    b.op(
        RegressionOp,
        "regression",
        [x, y],
        [w],
        samples=samples,
        features=features,
        ridge=ridge,
        matrix_kind=matrix_kind,
        tolerance=tolerance,
        seed=seed,
    )
    return b.build()


def pagerank_iterations(damping: float, tolerance: float) -> int:
    """Power iterations for the error to fall below ``tolerance``: it shrinks by d each step."""
    return max(1, math.ceil(math.log(tolerance) / math.log(damping)))


def pagerank_workload(
    nodes: int,
    damping: float = 0.85,
    degree: int = 8,
    tolerance: float = 1e-6,
    seed: int = 0,
    dtype: str = "fp32",
    name: str | None = None,
) -> Workload:
    """The PageRank vector of a generated graph: the Google matrix's dominant eigenvector."""
    check_positive("pagerank", nodes=nodes, degree=degree)
    check_dtypes(dtype=dtype)
    if not 0 < damping < 1:
        raise ConfigError(f"pagerank: damping must be in (0, 1), got {damping}")
    if not 0 < tolerance < 1:
        raise ConfigError(f"pagerank: tolerance must be in (0, 1), got {tolerance}")
    b = GraphBuilder(name or f"pagerank-{nodes}", dtype)
    g = b.tensor("G", (nodes, nodes), role="weight")
    v = b.tensor("rank", (nodes, 1), role="output")
    b.op(
        EigenOp,
        "pagerank",
        [g],
        [v],
        n=nodes,
        matrix_kind="pagerank",
        iterations=pagerank_iterations(damping, tolerance),
        damping=damping,
        degree=degree,
        tolerance=tolerance,
        seed=seed,
    )
    return b.build()


def kalman_workload(
    states: int,
    measurements: int,
    tolerance: float = 1e-6,
    seed: int = 0,
    dtype: str = "fp32",
    name: str | None = None,
) -> Workload:
    """One Kalman-filter step (predict and update) with the gain from a SPD solve.

    predict: x⁻ = F·x, P⁻ = F·P·Fᵀ + Q; update: y = z − H·x⁻, S = H·P⁻·Hᵀ + R,
    solve S·Kᵀ = H·P⁻ (the in-memory solver's job), x = x⁻ + K·y, P = P⁻ − K·(H·P⁻).
    """
    check_positive("kalman", states=states, measurements=measurements)
    check_dtypes(dtype=dtype)
    n, m = states, measurements
    b = GraphBuilder(name or f"kalman-{n}x{m}", dtype)
    t = b.tensor
    f_, h_ = t("F", (n, n), role="weight"), t("H", (m, n), role="weight")
    q_, r_ = t("Q", (n, n), role="weight"), t("R", (m, m), role="weight")
    x, p, z = t("x", (n, 1), role="input"), t("P", (n, n), role="input"), t("z", (m, 1), "input")

    def gemm(name, a, bb, mm, nn, kk, ta=False, tb=False):
        out = t(f"{name}.out", (mm, nn))
        b.op(GemmOp, name, [a, bb], [out], m=mm, n=nn, k=kk, transpose_a=ta, transpose_b=tb)
        return out

    def elt(name, op, ins, shape):
        out = t(f"{name}.out", shape)
        b.op(EltwiseOp, name, ins, [out], op=op, elements=shape[0] * shape[1])
        return out

    def gemv(name, a, v, mm, kk, ta=False):
        out = t(f"{name}.out", (mm, 1))
        b.op(GemvOp, name, [a, v], [out], m=mm, k=kk, transpose_a=ta)
        return out

    xp = gemv("predict_x", f_, x, n, n)
    fp = gemm("predict_fp", f_, p, n, n, n)
    fpf = gemm("predict_fpf", fp, f_, n, n, n, tb=True)
    pp = elt("predict_p", "add", [fpf, q_], (n, n))
    hx = gemv("innovation_hx", h_, xp, m, n)
    y = elt("innovation", "sub", [z, hx], (m, 1))
    hp = gemm("update_hp", h_, pp, m, n, n)
    hph = gemm("update_hph", hp, h_, m, m, n, tb=True)
    s = elt("update_s", "add", [hph, r_], (m, m))
    kt = t("gain_t", (m, n))
    b.op(
        SolveOp,
        "gain",
        [s, hp],
        [kt],
        n=m,
        rhs=n,
        matrix_kind="kalman",
        tolerance=tolerance,
        seed=seed,
    )
    ky = gemv("update_ky", kt, y, n, m, ta=True)
    xn = elt("update_x", "add", [xp, ky], (n, 1))
    khp = gemm("update_khp", kt, hp, n, n, m, ta=True)
    pn = elt("update_p", "sub", [pp, khp], (n, n))
    b.tensors[xn] = b.tensors[xn].model_copy(update={"role": "output"})
    b.tensors[pn] = b.tensors[pn].model_copy(update={"role": "output"})
    return b.build()
