"""numba kernels for the noisy crossbar: programming, drift + read noise, DAC and ADC.

Programming and drift kernels seed numba's generator themselves (``np.random.seed`` inside
``@njit`` seeds numba's state); per-MVM output noise uses a counter-seeded generator per output
vector. A tile's draws depend only on its seed, never on which worker runs it. The dense product
in between is a BLAS float32 matmul: the analog array computes it exactly, and every
non-ideality is applied to the conductances and to the periphery here.
"""

from __future__ import annotations

import numpy as np

from archsim.jit import without_blas_probe

without_blas_probe()  # numba's array math without its SciPy BLAS probe (archsim.jit)

from numba import njit  # noqa: E402


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


@njit(cache=True, fastmath=True)
def dac_kernel(x, bits, input_scaling, reduction):
    """Quantize each input vector to ``bits`` over [-1, 1] after scaling by its max|x| (noise
    management) and dividing by its bound-management ``reduction`` (1, 2, 4, ...).

    Returns (quantized inputs, per-vector scale, per-row mean of squared drive).
    """
    batch, rows = x.shape
    xq = np.empty((batch, rows), dtype=np.float32)
    scale = np.ones(batch, dtype=np.float32)
    levels = np.float32(2.0 ** (bits - 1) - 1.0 if bits > 0 else 0.0)
    inv_levels = np.float32(1.0 / levels if bits > 0 else 0.0)
    one = np.float32(1.0)
    half = np.float32(0.5)
    for b in range(batch):
        m = np.float32(0.0)
        if input_scaling:
            for i in range(rows):
                m = max(m, np.abs(x[b, i]))
        if m == 0.0 or not input_scaling:
            m = one
        m = m * np.float32(reduction[b])
        scale[b] = m
        inv = one / m
        if bits > 0:
            for i in range(rows):
                v = min(max(x[b, i] * inv, -one), one)
                xq[b, i] = np.floor(v * levels + half) * inv_levels
        else:
            for i in range(rows):
                xq[b, i] = min(max(x[b, i] * inv, -one), one)
    sq = np.zeros(rows, dtype=np.float64)
    for b in range(batch):
        for i in range(rows):
            sq[i] += xq[b, i] * xq[b, i]
    return xq, scale, sq / max(batch, 1)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STAR = np.uint64(0x2545F4914F6CDD1D)
_LOW16 = np.uint64(0xFFFF)
# Sum of four 16-bit uniforms: mean 4*(2^16-1)/2, std 2^16*sqrt(4/12) (Irwin-Hall, n=4).
_IH_MEAN = 2.0 * 65535.0
_IH_STD = 65536.0 * np.sqrt(1.0 / 3.0)


@njit(cache=True, inline="always")
def _row_state(seed, row):
    """splitmix64 of (seed, row): an independent xorshift state per output vector."""
    z = np.uint64(seed) * _GOLDEN + np.uint64(row + 1) * _MIX2
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return z if z != np.uint64(0) else _GOLDEN


@njit(cache=True, fastmath=True)
def adc_accumulate_kernel(part, seed, out_noise, adc_range, bits, factor, scale, y, col0, sat):
    """Output noise, saturation at +-adc_range, ``bits`` uniform levels over the range; then
    y[:, col0:] += value * factor * scale[b] (digital merge of partial sums). Returns the number
    of saturated conversions; ``sat[b]`` counts those of vector b (for bound management).

    The output noise is a counter-based draw: a splitmix64 hash of (per-vector state, column),
    shaped by the sum of four 16-bit uniforms (Irwin-Hall): exact mean and variance of
    N(0, out_noise²), tails cut at 3.46 sigma. Being a pure function of the column index, the
    inner loop vectorizes, which keeps the noisy MVM within reach of a BLAS matmul.
    """
    batch, cols = part.shape
    step = 2.0 * adc_range / (2.0**bits - 1.0) if (bits > 0 and adc_range > 0.0) else 0.0
    inv_step = 1.0 / step if step > 0.0 else 0.0
    bound = adc_range if adc_range > 0.0 else np.inf
    noise = np.empty(cols, dtype=np.float64)
    saturated = 0
    for b in range(batch):
        f = factor * scale[b]
        state = _row_state(seed, b)
        if out_noise > 0.0:
            for j in range(cols):
                z = state + np.uint64(j) * _GOLDEN
                z = (z ^ (z >> np.uint64(30))) * _MIX1
                z = (z ^ (z >> np.uint64(27))) * _MIX2
                z = z ^ (z >> np.uint64(31))
                u = (
                    (z & _LOW16)
                    + ((z >> np.uint64(16)) & _LOW16)
                    + ((z >> np.uint64(32)) & _LOW16)
                    + (z >> np.uint64(48))
                )
                noise[j] = out_noise * ((np.float64(u) - _IH_MEAN) / _IH_STD)
        else:
            noise[:] = 0.0
        # Branch-free loops so that they vectorize.
        row_sat = 0
        for j in range(cols):
            v = np.float64(part[b, j]) + noise[j]
            row_sat += np.abs(v) > bound
            noise[j] = min(max(v, -bound), bound)
        saturated += row_sat
        sat[b] += row_sat
        if step > 0.0:
            for j in range(cols):
                noise[j] = np.floor(noise[j] * inv_step + 0.5) * step
        for j in range(cols):
            y[b, col0 + j] += noise[j] * f
    return saturated
