"""Rendering validation studies (model vs reference) as one table."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from archsim.memory.validation import Study


def studies_table(studies: Sequence[Study], title: str = "archsim validation") -> Table:
    table = Table(title=title)
    for col in ("system", "study", "unit", "model", "reference", "error", "ok"):
        table.add_column(col, justify="left" if col in ("system", "study", "unit") else "right")
    for s in studies:
        ref = f"{s.reference:.4g}" + (f"..{s.upper:.4g}" if s.kind == "range" else "")
        ref = (">= " if s.kind == "floor" else "") + ref
        table.add_row(
            s.system,
            escape(s.name),
            s.unit,
            f"{s.model:.4g}",
            ref,
            f"{100 * s.error:+.2f}%",
            "yes" if s.ok else "[red]NO[/red]",
        )
    return table


def studies_markdown(studies: Sequence[Study]) -> str:
    """The same table in Markdown, for the README."""
    lines = ["| system | study | model | reference | error |", "|---|---|---|---|---|"]
    for s in studies:
        ref = f"{s.reference:.4g}" + (f" to {s.upper:.4g}" if s.kind == "range" else "")
        ref = ("at least " if s.kind == "floor" else "") + ref
        lines.append(
            f"| {s.system} | {s.name} ({s.unit}) | {s.model:.4g} | {ref} | {100 * s.error:+.2f}% |"
        )
    return "\n".join(lines)
