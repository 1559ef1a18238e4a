"""Numerical integration of the closed-loop circuit ODE, to check the settling formula.

dV/dt = -2π·GBW·D⁻¹(G·V + I) with classic RK4 at a step well below the fastest mode.
"""

from __future__ import annotations

import math

import numpy as np

# Steps per fastest time constant: RK4 is accurate to ~1e-6 per step at this resolution.
_STEPS_PER_FAST_TAU = 20


def simulate_settling(
    g: np.ndarray,
    d: np.ndarray,
    current: np.ndarray,
    gbw_hz: float,
    epsilon: float,
    slowest_mode_start: bool = False,
) -> float:
    """Time (s) until |V - V*| <= ε·|V*| for good, from V = 0 or (``slowest_mode_start``) from
    V* plus |V*| along the slowest eigenvector, where τ·ln(1/ε) is exact."""
    m = g / d[:, None]
    lam = np.linalg.eigvals(m).real
    k = 2 * math.pi * gbw_hz
    dt = 1 / (k * lam.max() * _STEPS_PER_FAST_TAU)
    f_in = current / d
    target = -np.linalg.solve(g, current)
    norm = np.linalg.norm(target)

    def rate(v: np.ndarray) -> np.ndarray:
        return -k * (m @ v + f_in)

    v = np.zeros_like(target)
    if slowest_mode_start:
        w, vecs = np.linalg.eig(m)
        slow = np.real(vecs[:, np.argmin(w.real)])
        v = target + norm * slow / np.linalg.norm(slow)
    t = 0.0
    horizon = 50 * math.log(1 / epsilon) / (k * lam.min())
    last_outside = 0.0
    while t < horizon:
        k1 = rate(v)
        k2 = rate(v + dt / 2 * k1)
        k3 = rate(v + dt / 2 * k2)
        k4 = rate(v + dt * k3)
        v = v + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t += dt
        if np.linalg.norm(v - target) > epsilon * norm:
            last_outside = t
        elif t > 2 * last_outside + 10 * dt:
            break
    return last_outside
