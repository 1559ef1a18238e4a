"""Rendering validation studies (model vs reference) as one table, Markdown or JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from archsim.study import Study

COLUMNS = ("group", "system", "study", "kind", "model", "reference", "error", "ok")


def _reference(s: Study) -> str:
    if s.criterion == "range":
        text = f"{s.reference:.4g}..{s.upper:.4g}"
        return text + (f" (pub. {s.point:.4g})" if s.point is not None else "")
    return (">= " if s.criterion == "floor" else "") + f"{s.reference:.4g}"


def _error(s: Study) -> str:
    """Signed error; a range shows how far inside (to the nearest end) or outside it lies."""
    if s.criterion == "range":
        text = f"{100 * s.error:+.2f}%" if s.error else f"in, {100 * s.margin:.1f}% from end"
        if s.point_error is not None:
            text += f"; {100 * s.point_error:+.1f}% vs pub."
        return text
    return f"{100 * s.error:+.2f}%"


def _cells(s: Study) -> list[str]:
    unit = f" {s.unit}" if s.unit else ""
    return [
        s.group,
        s.system,
        f"{s.name}{unit and f' ({s.unit})'}",
        s.kind,
        f"{s.model:.4g}",
        _reference(s),
        _error(s),
        "yes" if s.ok else ("finding" if s.finding else "NO"),
    ]


def studies_table(studies: Sequence[Study], title: str = "archsim validation") -> Table:
    table = Table(title=title)
    for col in COLUMNS:
        table.add_column(col, justify="right" if col in ("model", "reference", "error") else "left")
    for s in studies:
        cells = _cells(s)
        cells[2] = escape(cells[2])
        if not s.ok:
            cells[-1] = "[yellow]finding[/yellow]" if s.finding else "[red]NO[/red]"
        table.add_row(*cells)
    return table


def studies_markdown(studies: Sequence[Study]) -> str:
    """The same table in Markdown, for the README."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for s in studies:
        cells = [c.replace("|", "\\|") for c in _cells(s)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(studies: Sequence[Study]) -> str:
    """One line: studies per kind and how many are within tolerance."""
    total = Counter(s.kind for s in studies)
    ok = Counter(s.kind for s in studies if s.ok)
    parts = [f"{kind} {ok[kind]}/{total[kind]}" for kind in ("external", "closed-form", "self")]
    findings = sum(1 for s in studies if not s.ok and s.finding)
    return (
        f"{sum(ok.values())} of {len(studies)} studies within tolerance ({', '.join(parts)});"
        f" {findings} documented findings outside it (docs/validation.md)"
    )


def studies_json(studies: Sequence[Study]) -> str:
    return json.dumps({"studies": [s.record() for s in studies]}, indent=2)
