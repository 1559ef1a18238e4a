"""DRAM timing model vs DRAMsim3 and Ramulator 2 (external) and vs closed forms, per preset.

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
from archsim.system.dram_peers import external_dram_studies


def main() -> int:
    studies = external_dram_studies() + dram_studies(quick="--quick" in sys.argv)
    if "--markdown" in sys.argv:
        print(studies_markdown(studies))
    else:
        Console(width=160).print(studies_table(studies, "DRAM vs peers and closed forms"))
    return 0 if all(s.ok or s.finding for s in studies) else 1


if __name__ == "__main__":
    sys.exit(main())
