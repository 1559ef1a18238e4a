"""numba kernels for the noisy crossbar: programming, drift + read noise, DAC and ADC.

Each kernel seeds numba's generator itself (``np.random.seed`` inside ``@njit`` seeds the
per-thread numba state), so a tile's draws depend only on its seed, never on which worker runs
it. The dense product in between is a BLAS float32 matmul: the analog array computes it
exactly, all non-idealities are applied to the conductances and to the periphery here.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def program_kernel(target_us, sigma_us, d2d, p_on, p_off, gmin_us, gmax_us, seed):
    """Programmed conductances: target + programming noise, static d2d gain, stuck cells."""
    np.random.seed(seed)
    rows, cols = target_us.shape
    out = np.empty((rows, cols), dtype=np.float64)
    for i in range(rows):
        for j in range(cols):
            g = target_us[i, j] + sigma_us[i, j] * np.random.standard_normal()
            if d2d > 0.0:
                g *= 1.0 + d2d * np.random.standard_normal()
            u = np.random.random()
            if u < p_on:
                g = gmax_us
            elif u < p_on + p_off:
                g = gmin_us
            # A cell conducts at least nothing: noise cannot make it a current source.
            out[i, j] = max(g, 0.0)
    return out


@njit(cache=True)
def drift_read_kernel(gp_us, mu, s, qs, t_s, t0_s, time_factor, seed):
    """Conductance read at t_s after programming: power-law drift and frozen 1/f read noise."""
    np.random.seed(seed)
    rows, cols = gp_us.shape
    out = np.empty((rows, cols), dtype=np.float64)
    ratio = (t_s + t0_s) / t0_s if t0_s > 0.0 else 1.0
    for i in range(rows):
        for j in range(cols):
            g = gp_us[i, j]
            if s[i, j] > 0.0 or mu[i, j] > 0.0:
                nu = abs(mu[i, j] + s[i, j] * np.random.standard_normal())
                g = g * ratio ** (-nu)
            if qs[i, j] > 0.0:
                g = g + abs(g) * qs[i, j] * time_factor * np.random.standard_normal()
            out[i, j] = g
    return out


@njit(cache=True)
def dac_kernel(x, bits, input_scaling):
    """Quantize each input vector to ``bits`` over [-1, 1] after scaling by its max|x|.

    Returns (quantized inputs, per-vector scale, per-row mean of squared drive).
    """
    batch, rows = x.shape
    xq = np.empty((batch, rows), dtype=np.float32)
    scale = np.ones(batch, dtype=np.float32)
    sq = np.zeros(rows, dtype=np.float64)
    levels = 2.0 ** (bits - 1) - 1.0 if bits > 0 else 0.0
    for b in range(batch):
        m = 1.0
        if input_scaling:
            m = 0.0
            for i in range(rows):
                m = max(m, abs(x[b, i]))
            if m == 0.0:
                m = 1.0
        scale[b] = m
        for i in range(rows):
            v = x[b, i] / m
            v = min(max(v, -1.0), 1.0)
            if levels > 0.0:
                v = np.round(v * levels) / levels
            xq[b, i] = v
            sq[i] += v * v
    return xq, scale, sq / max(batch, 1)


@njit(cache=True)
def adc_kernel(y, out_noise, adc_range, bits, seed):
    """In place: output noise, saturation at +-adc_range, ``bits`` uniform levels over the range."""
    np.random.seed(seed)
    batch, cols = y.shape
    step = 2.0 * adc_range / (2.0**bits - 1.0) if (bits > 0 and adc_range > 0.0) else 0.0
    saturated = 0
    for b in range(batch):
        for j in range(cols):
            v = y[b, j]
            if out_noise > 0.0:
                v += out_noise * np.random.standard_normal()
            if adc_range > 0.0:
                if v > adc_range:
                    v = adc_range
                    saturated += 1
                elif v < -adc_range:
                    v = -adc_range
                    saturated += 1
            if step > 0.0:
                v = np.round(v / step) * step
            y[b, j] = v
    return saturated
