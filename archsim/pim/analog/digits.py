"""End-to-end accuracy study: a small MLP trained on scikit-learn's digits, inferred through
analog tiles (both layers' weights on crossbars, biases and ReLU digital).

scikit-learn is a dev/test dependency; it is imported only here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archsim.errors import ArchsimError
from archsim.pim.analog.presets import tile_config
from archsim.pim.analog.tile import AnalogMatrix

HIDDEN = 64  # one 64x64 and one 64x10 layer: each fits one tile
TRAIN_SEED = 0
TEST_FRACTION = 0.3


@dataclass
class DigitsModel:
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    x_test: np.ndarray
    y_test: np.ndarray
    float_accuracy: float


def train(seed: int = TRAIN_SEED) -> DigitsModel:
    """Train the MLP (deterministic for a seed) and keep the held-out test split."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
        from sklearn.neural_network import MLPClassifier
    except ImportError:  # pragma: no cover - dev dependency
        raise ArchsimError(
            "the digits study needs scikit-learn: pip install archsim[dev]"
        ) from None
    data = load_digits()
    x = data.data / 16.0  # pixel intensities 0..16 -> [0, 1], the DAC's input range
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, data.target, test_size=TEST_FRACTION, random_state=seed, stratify=data.target
    )
    clf = MLPClassifier(hidden_layer_sizes=(HIDDEN,), max_iter=400, random_state=seed)
    clf.fit(x_tr, y_tr)
    return DigitsModel(
        [w.copy() for w in clf.coefs_], [b.copy() for b in clf.intercepts_],
        x_te, y_te, float(clf.score(x_te, y_te)),
    )


def analog_accuracy(
    model: DigitsModel,
    device: str,
    periphery: str = "default",
    overrides: dict | None = None,
    t_inference_s: float = 0.0,
    compensation: str = "global",
    seed: int = 0,
    temperature_c: float | None = None,
) -> tuple[float, float]:
    """(test accuracy, energy pJ per inference = both layers' MVM energy) through the tiles,
    read ``t_inference_s`` after programming at ``temperature_c``; ``compensation`` global is
    the recalibration (a known input re-read at that age), none is without it."""
    h = model.x_test
    energy = 0.0
    for layer, (w, b) in enumerate(zip(model.weights, model.biases, strict=True)):
        cfg = tile_config(
            device, periphery, overrides, t_inference=t_inference_s, compensation=compensation,
            seed=seed * 101 + layer, temperature_c=temperature_c,
        )
        m = AnalogMatrix(w, cfg)
        h = m.mvm(h) + b
        energy += m.cost().total_pj
        if layer < len(model.weights) - 1:
            h = np.maximum(h, 0.0)
    accuracy = float(np.mean(np.argmax(h, axis=1) == model.y_test))
    return accuracy, energy
