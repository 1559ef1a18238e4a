"""Classification accuracy of an MLP on scikit-learn's digits, inferred through analog tiles,
against drift time and ADC bits, and against deployment age with and without recalibration.

    python analysis/study_digits.py

Both layers (64x64, 64x10) sit on crossbars; biases and ReLU are digital. Global drift
compensation on. tests/test_analog_digits.py pins the trends (the full grid is marked slow).
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from archsim.pim.analog.digits import analog_accuracy, train

DEVICES = ("pcm", "rram", "rram-milo")
ADC_BITS = (4, 5, 6, 8, 9)
DRIFT_S = (0.0, 3600.0, 86400.0, 2.592e6, 3.1536e7)  # 0, 1 h, 1 day, 30 days, 1 year
DRIFT_LABEL = ("0", "1h", "1d", "30d", "1y")


def grid(model, device: str) -> dict[tuple[int, float], float]:
    return {
        (bits, t): analog_accuracy(model, device, "default", {"adc_bits": bits}, t)[0]
        for bits in ADC_BITS
        for t in DRIFT_S
    }


AGES_S = (0.0, 3600.0, 86400.0, 2.592e6, 3.1536e7, 9.4608e7)  # 0, 1 h, 1 d, 30 d, 1 y, 3 y
AGE_LABEL = ("0", "1h", "1d", "30d", "1y", "3y")
TEMPERATURE_C = 55.0  # a warm data-centre part [assumption]


def ages(model, device: str, seeds: int = 3) -> dict[tuple[str, float], float]:
    """Mean test accuracy over ``seeds`` programmings, recalibrated (global drift compensation
    re-read at the age) or not, at TEMPERATURE_C (device reliability block: Arrhenius, RRAM
    relaxation)."""
    return {
        (comp, t): sum(
            analog_accuracy(model, device, "default", None, t, comp, seed, TEMPERATURE_C)[0]
            for seed in range(seeds)
        ) / seeds
        for comp in ("none", "global")
        for t in AGES_S
    }


def main() -> int:
    console = Console(width=120)
    model = train()
    console.print(f"float (numpy) test accuracy: {model.float_accuracy:.3f}")
    for device in DEVICES:
        acc = grid(model, device)
        table = Table(title=f"{device}: test accuracy vs ADC bits (rows) and drift time (columns)")
        table.add_column("ADC bits")
        for label in DRIFT_LABEL:
            table.add_column(label, justify="right")
        for bits in ADC_BITS:
            table.add_row(str(bits), *(f"{acc[(bits, t)]:.3f}" for t in DRIFT_S))
        console.print(table)
    for device in ("pcm", "rram"):
        acc = ages(model, device)
        table = Table(title=f"{device} at {TEMPERATURE_C:g} C: test accuracy vs deployment age")
        table.add_column("recalibration")
        for label in AGE_LABEL:
            table.add_column(label, justify="right")
        for comp, label in (("none", "without"), ("global", "with (global drift comp.)")):
            table.add_row(label, *(f"{acc[(comp, t)]:.3f}" for t in AGES_S))
        console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
