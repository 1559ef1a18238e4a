"""In-memory systems vs published results, and the HBM read energy vs the FGDRAM path sum.

    python analysis/validate_run.py

For every comparison the script prints the model's number, the published one, and every
assumption that differs from the published set-up. tests/test_run_validation.py pins the bounds.
"""

from __future__ import annotations

import sys

from rich.console import Console

from archsim.report.validation import studies_table
from archsim.system.pim_validation import hbm_read_energy_study, published_findings


def main() -> int:
    console = Console(width=140)
    findings = published_findings()
    studies = [hbm_read_energy_study()] + [f.study for f in findings]
    console.print(studies_table(studies, "In-memory systems vs published results"))
    for f in findings:
        console.print(f"\n[bold]{f.study.system}[/bold]: {f.study.name}: {f.study.model:.2f}x")
        for note in f.notes:
            console.print(f"  - {note}")
    return 0 if all(s.ok or s.finding for s in studies) else 1


if __name__ == "__main__":
    sys.exit(main())
