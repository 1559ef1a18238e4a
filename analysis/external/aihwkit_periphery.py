"""Measure IBM aihwkit's default inference periphery on an ideal device (run OUTSIDE archsim).

The figure archsim's ``aihwkit`` periphery preset is checked against
(:data:`archsim.pim.analog.validation.AIHWKIT_REFERENCE`) comes from this script:
W uniform in [-1, 1] of 256 x 512 (outputs x inputs, one aihwkit tile), X uniform in [-1, 1],
batch 256 in one call, TorchInferenceRPUConfig() defaults, no programming, drift or read noise
(the layer is never programmed or drifted: an ideal device), relative Frobenius error of W·X,
mean over seeds 0-4. ``--per-vector`` calls the layer one vector at a time instead (bound
management then acts per vector).

aihwkit is not a dependency of archsim. On 2026-12-02, ``pip install aihwkit`` (1.2.0, sdist only
on PyPI for this platform) failed: it builds its C++ extension with scikit-build/CMake/BLAS,
which this environment does not provide. The measurement ran on the unpacked 1.2.0 sdist on
PYTHONPATH with the shared venv's torch 2.13.0+cpu; the C++ module ``rpu_base`` was replaced by
an empty stand-in, which the pure-torch inference tile (``TorchInferenceRPUConfig``) never
calls. Results (aihwkit 1.2.0): batch call 0.04560 (std 0.00018 over 5 seeds); per-vector calls
0.03159 (3 seeds).
"""

from __future__ import annotations

import sys

import numpy as np


def main(per_vector: bool = False, seeds: int = 5) -> float:
    import aihwkit
    import torch
    from aihwkit.nn import AnalogLinear
    from aihwkit.simulator.configs import TorchInferenceRPUConfig

    errors = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        g = torch.Generator().manual_seed(seed)
        w = torch.rand(256, 512, generator=g) * 2 - 1
        x = torch.rand(256, 512, generator=g) * 2 - 1
        layer = AnalogLinear(512, 256, bias=False, rpu_config=TorchInferenceRPUConfig())
        layer.set_weights(w)
        layer.eval()
        with torch.no_grad():
            y = torch.cat([layer(x[i : i + 1]) for i in range(256)]) if per_vector else layer(x)
        exact = x @ w.T
        errors.append(float(torch.linalg.norm(y - exact) / torch.linalg.norm(exact)))
    print(f"aihwkit {aihwkit.__version__}: rel. Frobenius error {np.mean(errors):.5f}"
          f" (std {np.std(errors):.5f}, {seeds} seeds, {'per-vector' if per_vector else 'batch'})")
    return float(np.mean(errors))


if __name__ == "__main__":
    main(per_vector="--per-vector" in sys.argv)
