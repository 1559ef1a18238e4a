"""Reading a results store for a report: rows, swept parameters, metrics, the Pareto front."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archsim.dse.store import FIXED, ResultStore
from archsim.errors import ArchsimError

# Used when the sweeps in the file name fewer than two objectives.
DEFAULT_PARETO = "comparison.speedup:max,comparison.energy_reduction:max"


@dataclass(frozen=True)
class Axis:
    metric: str
    goal: str  # "min" or "max"

    @property
    def label(self) -> str:
        return f"{self.metric} ({'lower' if self.goal == 'min' else 'higher'} is better)"


@dataclass
class Results:
    """The rows of a store with the names a report needs."""

    rows: list[dict[str, Any]]
    params: list[str]
    metrics: list[str]
    specs: dict[str, dict]

    @property
    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] == "ok"]

    def numeric(self, name: str) -> bool:
        return any(isinstance(r.get(name), int | float) for r in self.ok)


def load_results(db: str | Path) -> Results:
    store = ResultStore(db, read_only=True)
    try:
        rows = store.rows()
        names = store.db.execute(
            "SELECT name, value FROM meta WHERE name LIKE 'sweep:%'"
        ).fetchall()
        specs = {n.removeprefix("sweep:"): json.loads(v) for n, v in names}
        columns = store.columns()
    finally:
        store.close()
    params = list(dict.fromkeys(p for s in specs.values() for p in s.get("parameters", {})))
    metrics = [c for c in columns if c not in FIXED and c not in params]
    return Results(rows, params, metrics, specs)


def parse_axes(text: str | None, results: Results) -> tuple[Axis, Axis]:
    """``X,Y`` with an optional ``:min`` / ``:max`` on each (min by default).

    Without one: the sweep's ``report.pareto``, else its first two objectives, else
    ``DEFAULT_PARETO``.
    """
    if text is None:
        chosen = [s["report"]["pareto"] for s in results.specs.values() if _report(s, "pareto")]
        objectives = [o for s in results.specs.values() for o in s.get("objectives", [])]
        if chosen:
            text = chosen[0]
        elif len(objectives) >= 2:
            text = ",".join(f"{o['metric']}:{o['goal']}" for o in objectives[:2])
        else:
            text = DEFAULT_PARETO
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2:
        raise ArchsimError(f"--pareto {text!r}: give two metrics, X,Y (each optionally :min/:max)")
    axes = []
    for part in parts:
        metric, _, goal = part.partition(":")
        goal = goal or "min"
        if goal not in ("min", "max"):
            raise ArchsimError(f"--pareto {part!r}: the goal must be min or max, not {goal!r}")
        if metric not in results.params:
            require_metric(results, metric, "--pareto")
        axes.append(Axis(metric, goal))
    return axes[0], axes[1]


def require_metric(results: Results, metric: str, where: str) -> str:
    """``metric`` if the results have it, else an error naming the closest ones."""
    if metric not in results.metrics:
        import difflib

        close = difflib.get_close_matches(metric, results.metrics, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ArchsimError(f"{where}: no metric {metric!r} in this results file{hint}")
    return metric


def default_metric(results: Results) -> str | None:
    """The sweep's ``report.metric`` (the sensitivity figure's metric), if it names one."""
    chosen = [s["report"]["metric"] for s in results.specs.values() if _report(s, "metric")]
    return chosen[0] if chosen else None


def _report(spec: dict, key: str) -> bool:
    return bool((spec.get("report") or {}).get(key))


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def pareto_front(rows: list[dict], x: Axis, y: Axis) -> list[bool]:
    """For each row: is it on the Pareto front of ``x`` and ``y`` (non-dominated)?"""
    sign = {"min": 1.0, "max": -1.0}
    pts = [
        (sign[x.goal] * r[x.metric], sign[y.goal] * r[y.metric])
        if finite(r.get(x.metric)) and finite(r.get(y.metric))
        else None
        for r in rows
    ]
    out = []
    for p in pts:
        if p is None:
            out.append(False)
            continue
        dominated = any(
            q is not None and q[0] <= p[0] and q[1] <= p[1] and (q[0] < p[0] or q[1] < p[1])
            for q in pts
        )
        out.append(not dominated)
    return out
