"""Workload presets vs published parameter and MAC counts.

    python analysis/validate_workload.py [--markdown]

One row per figure: our count from the generated operator graph, the published figure, the
relative error and whether it is within 1% (tests/test_workload_models.py pins the same bound).
The source of every published figure is printed below the table.
"""

from __future__ import annotations

import sys

from rich.console import Console

from archsim.report.validation import studies_markdown, studies_table
from archsim.workload.validation import sources, workload_studies


def main() -> int:
    studies = workload_studies()
    if "--markdown" in sys.argv:
        print(studies_markdown(studies))
        print()
        for model, refs in sources().items():
            print(f"- {model}: " + "; ".join(refs))
    else:
        console = Console(width=160)
        console.print(studies_table(studies, "Workload presets vs published figures"))
        for model, refs in sources().items():
            for ref in refs:
                console.print(f"  {model}: {ref}", highlight=False)
    return 0 if all(s.ok or s.finding for s in studies) else 1


if __name__ == "__main__":
    sys.exit(main())
