"""Figure: digits accuracy against analog energy per inference, over ADC bits and devices.

    python analysis/plot_accuracy_energy.py [OUT.png]

Energy is both layers' MVM energy (cells, DAC, ADC, TIA, digital merge) from the tile model;
accuracy is measured by running the test set through the noisy tiles (t = 1 day, global drift
compensation). Writes docs/figures/accuracy_energy.png by default.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt

from archsim.pim.analog.digits import analog_accuracy, train

DEVICES = ("ideal", "pcm", "rram", "rram-milo")
ADC_BITS = (3, 4, 5, 6, 7, 8, 9, 10)
T_INFERENCE_S = 86400.0
OUT = Path(__file__).resolve().parents[1] / "docs" / "figures" / "accuracy_energy.png"


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    model = train()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for device in DEVICES:
        points = [
            analog_accuracy(model, device, "default", {"adc_bits": b}, T_INFERENCE_S)
            for b in ADC_BITS
        ]
        acc = [p[0] for p in points]
        energy = [p[1] for p in points]
        ax.plot(energy, acc, marker="o", label=device)
        for b, e, a in zip(ADC_BITS, energy, acc, strict=True):
            ax.annotate(str(b), (e, a), fontsize=7, xytext=(2, -8), textcoords="offset points")
    ax.axhline(model.float_accuracy, color="gray", ls="--", lw=0.8, label="float")
    ax.set_xscale("log")
    ax.set_xlabel("analog energy per inference (pJ, both layers)")
    ax.set_ylabel("digits test accuracy")
    ax.set_title("MLP on digits through crossbars, t = 1 day (labels: ADC bits)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
