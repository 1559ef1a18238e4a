"""What an analog study runs on: generated or loaded weights and matrices (CLI and studies)."""

from __future__ import annotations

import numpy as np

from archsim.errors import ArchsimError
from archsim.pim.analog.names import MATRIX_KINDS, WEIGHT_KINDS  # noqa: F401 (re-exported)

# The definition of the gaussian weight draw: N(0, 0.3²).
GAUSSIAN_WEIGHT_STD = 0.3


def load_npy(path: str, name: str) -> np.ndarray:
    """A finite numeric .npy array, or a clear error naming the option and the file."""
    from archsim.limits import check_bytes

    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")  # the header first: its size
    except (OSError, ValueError, EOFError) as exc:
        raise ArchsimError(f"{name}: cannot read {path!r} as a .npy array ({exc})") from None
    if not isinstance(array, np.ndarray):
        raise ArchsimError(f"{name} {path}: expected one array, not an archive of several")
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise ArchsimError(f"{name} {path}: expected numbers, got {array.dtype} values")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ArchsimError(f"{name} {path}: expected real numbers, got {array.dtype} values")
    check_bytes(array.size * 8 * 8, f"{name} {path} of shape {array.shape}")
    array = np.array(array, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ArchsimError(f"{name} {path}: contains NaN or infinite values")
    return array


def make_weights(kind: str, n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """uniform: U[-1, 1]; gaussian: N(0, 0.3²); otherwise a .npy path of shape (inputs, outputs)."""
    from archsim.pim.analog.tile import check_weights

    if kind == "uniform":
        return rng.uniform(-1.0, 1.0, (n_in, n_out))
    if kind == "gaussian":
        return rng.normal(0.0, GAUSSIAN_WEIGHT_STD, (n_in, n_out))
    if not kind.endswith(".npy"):
        raise ArchsimError(f"--weights: {kind!r} is not uniform, gaussian or a .npy file")
    try:
        return check_weights(load_npy(kind, "--weights"), n_in, n_out)
    except ArchsimError as exc:
        text = str(exc)
        raise ArchsimError(text if kind in text else f"--weights {kind}: {text}") from None
