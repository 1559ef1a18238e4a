"""Device statistics as plain numpy functions of conductance: the published fits.

The numba kernels draw from the same formulas; these are what validation compares against.
"""

from __future__ import annotations

import numpy as np

from archsim.pim.analog.config import DeviceConfig

# ln(r) of a zero conductance is undefined; the drift fit is only used for r above this.
_R_FLOOR = 1e-6


def programming_sigma_us(device: DeviceConfig, g_us: np.ndarray) -> np.ndarray:
    """Std of programming noise (uS) at target conductance ``g_us``."""
    g = np.asarray(g_us, dtype=np.float64)
    noise = device.programming_noise
    if noise is None:
        return np.zeros_like(g)
    x = g / device.gmax_us if noise.variable == "ratio" else g
    sigma = np.polynomial.polynomial.polyval(x, noise.coeffs)
    if noise.reference_gmax_us is not None:
        sigma = sigma * device.gmax_us / noise.reference_gmax_us
    return np.maximum(sigma, 0.0)


def drift_nu_stats(device: DeviceConfig, g_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mu, s) of the drift exponent at programmed conductance ``g_us``."""
    d = device.drift
    g = np.asarray(g_us, dtype=np.float64)
    if d is None:
        return np.zeros_like(g), np.zeros_like(g)
    log_r = np.log(np.maximum(g / device.gmax_us, _R_FLOOR))
    mu = np.clip(d.mu_slope * log_r + d.mu_intercept, *d.mu_clip)
    s = np.clip(d.s_slope * log_r + d.s_intercept, *d.s_clip)
    return mu, s


def read_noise_q(device: DeviceConfig, g_us: np.ndarray) -> np.ndarray:
    """Relative 1/f read-noise amplitude Qs at programmed conductance ``g_us``."""
    rn = device.read_noise
    g = np.asarray(g_us, dtype=np.float64)
    if rn is None:
        return np.zeros_like(g)
    r = np.maximum(g / device.gmax_us, 0.0)
    return np.minimum(rn.q / np.maximum(r**rn.exponent, rn.floor), rn.q_max)


def read_noise_time_factor(device: DeviceConfig, t_s: float) -> float:
    """sqrt(ln((t + t0 + tr)/(2 tr))): the 1/f noise grows with the observation window."""
    rn, d = device.read_noise, device.drift
    if rn is None:
        return 0.0
    t0 = d.t0_s if d is not None else 0.0
    return float(np.sqrt(np.log((t_s + t0 + rn.t_read_s) / (2 * rn.t_read_s))))


_BOLTZMANN_EV = 8.617333262e-5  # eV/K (CODATA 2018)


def acceleration(device: DeviceConfig, temperature_c: float | None) -> float:
    """Arrhenius time acceleration of drift and relaxation at ``temperature_c``."""
    rel = device.reliability
    if temperature_c is None or rel.drift_activation_energy_ev == 0:
        return 1.0
    t_ref = rel.reference_temperature_c + 273.15
    t = temperature_c + 273.15
    return float(np.exp(rel.drift_activation_energy_ev / _BOLTZMANN_EV * (1 / t_ref - 1 / t)))


def relaxation_sigma_us(device: DeviceConfig, g_us: np.ndarray, t_s: float) -> np.ndarray:
    """Std (uS) of the relaxation a cell at ``g_us`` has accumulated ``t_s`` after programming:
    the measured spread at t (``reliability.relaxation_fit``) over the programming residual,
    in quadrature; or the random walk relaxation_sigma·gmax·sqrt(ln(1 + t/t_r))."""
    rel = device.reliability
    g = np.asarray(g_us, dtype=np.float64)
    fit = rel.relaxation_fit
    if fit is None:
        if rel.relaxation_sigma <= 0 or t_s <= 0:
            return np.zeros_like(g)
        return np.full_like(g, rel.relaxation_sigma * device.gmax_us
                            * np.sqrt(np.log1p(t_s / rel.relaxation_time_s)))  # fmt: skip
    times = fit.times_s
    if t_s <= times[0]:
        return np.zeros_like(g)
    r = np.clip(g / device.gmax_us, 0.0, 1.0)
    scale = device.gmax_us / fit.reference_gmax_us
    var = [(np.polynomial.polynomial.polyval(r, c) * scale) ** 2 for c in fit.coeffs]
    k = int(np.searchsorted(times, t_s))  # times[k-1] < t_s <= times[k]
    if k >= len(times):
        at = var[-1]  # no data after the last time: held there
    else:
        w = (np.log(t_s) - np.log(times[k - 1])) / (np.log(times[k]) - np.log(times[k - 1]))
        at = (1 - w) * var[k - 1] + w * var[k]
    return np.sqrt(np.maximum(at - var[0], 0.0))


def age(device: DeviceConfig, g_us: np.ndarray, t_s: float, reads: float, seed: int) -> np.ndarray:
    """Relaxation (:func:`relaxation_sigma_us`, RRAM) and read disturb (a relative loss per
    read) applied to conductances read ``t_s`` (effective) after programming."""
    rel = device.reliability
    g = g_us
    if t_s > 0 and (rel.relaxation_sigma > 0 or rel.relaxation_fit is not None):
        sigma = relaxation_sigma_us(device, g, t_s)
        rng = np.random.default_rng(seed)
        g = np.maximum(g + sigma * rng.standard_normal(g.shape), 0.0)
    if rel.read_disturb > 0 and reads > 0:
        g = g * np.exp(-rel.read_disturb * reads)
    return g
