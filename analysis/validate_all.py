"""Every validation study as ``archsim validate`` prints it, or as Markdown for the README.

    python analysis/validate_all.py [--quick] [--markdown]
"""

from __future__ import annotations

import sys

from rich.console import Console

from archsim.report.validation import studies_markdown, studies_table, summary
from archsim.validation import all_studies


def main() -> int:
    studies = all_studies(quick="--quick" in sys.argv)
    if "--markdown" in sys.argv:
        print(studies_markdown(studies))
        print()
        print(summary(studies))
    else:
        Console(width=200).print(studies_table(studies))
        print(summary(studies))
    return 0 if all(s.ok or s.finding for s in studies) else 1


if __name__ == "__main__":
    sys.exit(main())
