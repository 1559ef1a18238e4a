"""Analog tiles and closed-loop solvers vs published figures and closed forms.

    python analysis/validate_analog.py

Prints model vs reference and error for: PCM programming noise, drift and read noise against the
aihwkit/Joshi 2020 polynomials (Monte Carlo); exactness with ideal parts and ADC monotonicity;
closed-loop settling vs an RK4 integration of the circuit ODE and finite-gain error vs its first-
order closed form; a 256x256 8-bit crossbar's TOPS/W vs IBM HERMES, with the gap explained.
tests/test_analog_validation.py pins the bounds.
"""

from __future__ import annotations

import sys

from rich.console import Console

from archsim.pim.analog.validation import ADC_SWEEP, analog_studies
from archsim.report.validation import studies_table


def main() -> int:
    console = Console(width=140)
    findings = analog_studies()
    console.print(studies_table(findings.studies, "Analog crossbar and closed-loop validation"))
    console.print("\nrel error vs ADC bits (ideal devices, 10-bit DAC, range +-40):")
    for bits, err in zip(ADC_SWEEP, findings.adc_errors, strict=True):
        console.print(f"  {bits:2d} bits: {err:.3e}")
    for note in findings.notes:
        console.print(f"- {note}")
    return 0 if all(s.ok for s in findings.studies) else 1


if __name__ == "__main__":
    sys.exit(main())
