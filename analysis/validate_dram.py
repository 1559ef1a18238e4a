"""DRAM timing model vs closed forms, for every system preset.

    python analysis/validate_dram.py [--quick]

Prints one row per study: the simulated value, the analytic reference, the relative error, and
whether it is within the bound that tests/test_dram_timing.py pins.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from archsim.memory.validation import dram_studies


def main() -> int:
    studies = dram_studies(quick="--quick" in sys.argv)
    table = Table(title="DRAM timing model vs closed forms")
    for col in ("system", "study", "unit", "model", "reference", "error", "ok"):
        table.add_column(col, justify="left" if col in ("system", "study", "unit") else "right")
    for s in studies:
        ref = f"{s.reference:.4g}" + (f"..{s.upper:.4g}" if s.kind == "range" else "")
        ref = (">= " if s.kind == "floor" else "") + ref
        table.add_row(
            s.system,
            s.name,
            s.unit,
            f"{s.model:.4g}",
            ref,
            f"{100 * s.error:+.2f}%",
            "yes" if s.ok else "NO",
        )
    Console(width=160).print(table)
    return 0 if all(s.ok for s in studies) else 1


if __name__ == "__main__":
    sys.exit(main())
