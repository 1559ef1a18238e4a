"""TCO and carbon models vs textbook and hand-worked examples.

    python analysis/validate_tco.py

Prints model vs reference and the error for dies per wafer (Hennessy & Patterson), the yield and
die cost of an 826 mm2 die at 5 nm, ACT carbon per area, and operational carbon.
tests/test_tco_validation.py pins the bounds.
"""

from __future__ import annotations

import sys

from rich.console import Console

from archsim.energy.validation import tco_studies
from archsim.report.validation import studies_table


def main() -> int:
    studies = tco_studies()
    Console(width=140).print(studies_table(studies, "TCO and carbon vs worked examples"))
    return 0 if all(s.ok or s.finding for s in studies) else 1


if __name__ == "__main__":
    sys.exit(main())
