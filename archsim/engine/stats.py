"""Statistics registry: dotted names with a unit and a description (gem5 style).

``system.memory.ch0.activations  1234  # row activations (count)``
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Stat:
    name: str
    value: float | int
    unit: str
    description: str


class Stats:
    """An ordered collection of named statistics."""

    def __init__(self) -> None:
        self._stats: dict[str, Stat] = {}

    def add(self, name: str, value: float | int, unit: str, description: str) -> None:
        if name in self._stats:
            raise KeyError(f"statistic {name!r} registered twice")
        if hasattr(value, "item"):
            value = value.item()  # numpy scalar -> Python number
        self._stats[name] = Stat(name, value, unit, description)

    def __getitem__(self, name: str) -> float | int:
        return self._stats[name].value

    def __contains__(self, name: str) -> bool:
        return name in self._stats

    def __iter__(self):
        return iter(self._stats.values())

    def sum(self, pattern_prefix: str, suffix: str) -> float:
        """Sum of every stat whose name starts with ``pattern_prefix`` and ends with ``suffix``."""
        return sum(
            s.value
            for s in self._stats.values()
            if s.name.startswith(pattern_prefix) and s.name.endswith(suffix)
        )

    def to_dict(self) -> dict[str, dict]:
        return {
            s.name: {"value": s.value, "unit": s.unit, "description": s.description}
            for s in self._stats.values()
        }

    def to_text(self) -> str:
        width = max((len(s.name) for s in self._stats.values()), default=0)
        return "\n".join(
            f"{s.name:<{width}}  {s.value:>16}  # {s.description} ({s.unit})"
            for s in self._stats.values()
        )

    def write(self, path: str | Path) -> None:
        """JSON for ``.json`` files, gem5-style text otherwise."""
        from archsim.outputs import write_text

        path = Path(path)
        if path.suffix == ".json":
            write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")
        else:
            write_text(path, self.to_text() + "\n")
