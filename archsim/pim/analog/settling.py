"""How a closed-loop crossbar settles: its poles, its stability, and its settling time.

With single-pole op-amps the loop follows dV/dt = -2π·GBW·D⁻¹(G·V + I); it is stable when every
eigenvalue of D⁻¹G has a positive real part, and settles with τ = 1/(2π·GBW·λmin(D⁻¹G)) (Sun et
al., IEEE TED 2020). The settling time used is the exact response of that linear system: with
D⁻¹G = SΛS⁻¹ the error from V = 0 is S·exp(-2π·GBW·Λ·t)·S⁻¹·V*, and the settling time is the last
time its norm exceeds ε·|V*| (:func:`exact_settling_time_s`); τ·ln(1/ε)
(:func:`settling_time_s`), exact only for an error in the slowest mode, is kept beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from archsim.errors import ArchsimError
from archsim.pim.analog.config import DeviceConfig

# Time grid of the exact settling search (then bisection to 1e-4 relative) [numerics].
_GRID = 128
_BISECT = 30


def loop_eigenvalues(a_n: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Eigenvalues of D⁻¹G: the loop's poles are -2π·GBW times these."""
    return np.linalg.eigvals(a_n / d[:, None])


def check_stable(a: np.ndarray, device: DeviceConfig) -> float:
    """λmin (smallest real part) of D⁻¹A for the ideal mapping; reject if the loop is unstable."""
    scale = float(np.max(np.abs(a)))
    an = a / scale
    span = device.gmax_us - device.gmin_us
    d = (np.abs(an) * span + 2 * device.gmin_us).sum(axis=1) / span
    lam = loop_eigenvalues(an, d)
    lam_min = float(lam.real.min())
    if lam_min <= 0:
        raise ArchsimError(
            f"matrix: no stable closed-loop solution: D⁻¹G has an eigenvalue with real part"
            f" {lam_min:.3g} <= 0, so the op-amp loop diverges; the feedback solver needs every"
            " eigenvalue in the right half-plane (e.g. a symmetric positive-definite matrix)"
        )
    return lam_min


def settling_time_s(lam_min: float, gbw_hz: float, epsilon: float) -> float:
    """The asymptotic bound τ·ln(1/ε), τ = 1/(2π·GBW·λmin)."""
    return math.log(1 / epsilon) / (2 * math.pi * gbw_hz * lam_min)


def modal_settling_time_s(
    vecs: np.ndarray, coeffs: np.ndarray, rates: np.ndarray, gbw_hz: float, epsilon: float,
    norm: float,
) -> float:
    """Last time t at which |Σ_k c_k·v_k·exp(-2π·GBW·r_k·t)| > ε·norm: the exact settling of a
    linear system whose error starts as Σ c_k v_k and decays mode by mode at rates r_k."""
    k = 2 * math.pi * gbw_hz
    live = np.abs(coeffs) * np.linalg.norm(vecs, axis=0) > 1e-15 * norm
    vecs, coeffs, rates = vecs[:, live], coeffs[live], rates[live]
    if not len(rates):
        return 0.0
    slowest = float(rates.real.min())
    if slowest <= 0:
        raise ArchsimError("closed loop: a mode does not decay; the loop does not settle")

    def error(t: float) -> float:
        return float(np.linalg.norm((vecs @ (coeffs * np.exp(-k * rates * t))).real))

    limit = epsilon * norm
    horizon = math.log(1 / epsilon) / (k * slowest)
    while error(horizon) > limit or error(2 * horizon) > limit:  # transient growth (non-normal)
        horizon *= 2
    grid = np.linspace(0.0, horizon, _GRID)
    states = (vecs @ (coeffs[:, None] * np.exp(-k * rates[:, None] * grid[None, :]))).real
    above = np.flatnonzero(np.linalg.norm(states, axis=0) > limit)
    if not len(above):
        return 0.0
    lo, hi = grid[above[-1]], grid[min(above[-1] + 1, _GRID - 1)]
    for _ in range(_BISECT):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if error(mid) > limit else (lo, mid)
    return hi


@dataclass(frozen=True)
class LoopModes:
    """Eigendecomposition M = S·Λ·S⁻¹ of a loop matrix, computed once per programmed matrix."""

    rates: np.ndarray
    vecs: np.ndarray
    inverse: np.ndarray

    @classmethod
    def of(cls, m: np.ndarray) -> LoopModes:
        w, vecs = np.linalg.eig(m)
        return cls(w, vecs, np.linalg.inv(vecs))

    def settling_time_s(self, target: np.ndarray, gbw_hz: float, epsilon: float) -> float:
        """Exact settling of dV/dt = -2π·GBW·M·(V - V*) from V = 0 to within ε·|V*|."""
        coeffs = self.inverse @ (-target.astype(complex))
        norm = float(np.linalg.norm(target))
        return modal_settling_time_s(self.vecs, coeffs, self.rates, gbw_hz, epsilon, norm)


def exact_settling_time_s(
    m: np.ndarray, target: np.ndarray, gbw_hz: float, epsilon: float
) -> float:
    """Exact settling of dV/dt = -2π·GBW·M·(V - V*) from V = 0 to within ε·|V*|, from the
    eigendecomposition of M (Sun et al., IEEE TED 2020 give only the slowest-mode bound)."""
    return LoopModes.of(m).settling_time_s(target, gbw_hz, epsilon)
