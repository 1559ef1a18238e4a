"""Noisy analog MVM throughput vs numpy float32 matmul on the same shapes.

    python analysis/bench_analog.py

The analog path (DAC quantization, BLAS product on the programmed effective conductances, output
noise, saturation and ADC quantization in numba, digital merging across tiles) must reach at least
25% of numpy's float32 ``x @ w`` throughput. Tiles are programmed once, outside the timing.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from archsim.pim.analog.presets import tile_config
from archsim.pim.analog.tile import AnalogMatrix

SHAPES = ((1024, 256, 256), (512, 1024, 1024), (256, 2048, 512))  # (batch, inputs, outputs)
TARGET = 0.25


def _best_pair(fa, fb, repeats: int = 9) -> tuple[float, float]:
    """Best-of times of two functions measured alternately, so machine load hits both alike."""
    fa(), fb()  # warm-up (numba compile is cached, BLAS threads start)
    ta, tb = [], []
    for _ in range(repeats):
        for fn, times in ((fa, ta), (fb, tb)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return min(ta), min(tb)


def bench(shape: tuple[int, int, int]) -> tuple[float, float, float]:
    """(numpy GMAC/s, analog GMAC/s, ratio)."""
    batch, n_in, n_out = shape
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (n_in, n_out)).astype(np.float32)
    x = rng.uniform(-1, 1, (batch, n_in)).astype(np.float32)
    matrix = AnalogMatrix(w, tile_config("pcm", "default", t_inference=3600.0))
    t_np, t_an = _best_pair(lambda: x @ w, lambda: matrix.mvm(x))
    macs = batch * n_in * n_out / 1e9
    return macs / t_np, macs / t_an, t_np / t_an


def main() -> int:
    ok = True
    print(f"{'batch x in x out':>20} {'numpy GMAC/s':>13} {'analog GMAC/s':>14} {'ratio':>7}")
    for shape in SHAPES:
        g_np, g_an, ratio = bench(shape)
        ok &= ratio >= TARGET
        print(f"{'x'.join(map(str, shape)):>20} {g_np:13.1f} {g_an:14.1f} {ratio:7.2f}")
    print(f"target: ratio >= {TARGET}: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
