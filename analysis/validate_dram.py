"""DRAM timing model vs closed forms, for every system preset.

    python analysis/validate_dram.py [--quick] [--markdown]

Prints one row per study: the simulated value, the analytic reference, the relative error, and
whether it is within the bound that tests/test_dram_timing.py pins (the same studies run from
``archsim validate``).
"""

from __future__ import annotations

import sys

from rich.console import Console

from archsim.memory.validation import dram_studies
from archsim.report.validation import studies_markdown, studies_table


def main() -> int:
    studies = dram_studies(quick="--quick" in sys.argv)
    if "--markdown" in sys.argv:
        print(studies_markdown(studies))
    else:
        Console(width=160).print(studies_table(studies, "DRAM timing model vs closed forms"))
    return 0 if all(s.ok for s in studies) else 1


if __name__ == "__main__":
    sys.exit(main())
