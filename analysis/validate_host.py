"""Host NPU compute cycles vs SCALE-Sim for both dataflows.

python analysis/validate_host.py
"""

from __future__ import annotations

import sys

from rich.console import Console

from archsim.host.validation import host_studies
from archsim.report.validation import studies_table


def main() -> int:
    studies = host_studies()
    Console(width=140).print(studies_table(studies, "Systolic compute cycles vs SCALE-Sim v2"))
    worst = max(abs(s.error) for s in studies)
    print(f"{len(studies)} cases, largest error {100 * worst:.3f}%")
    return 0 if all(s.ok or s.finding for s in studies) else 1


if __name__ == "__main__":
    sys.exit(main())
