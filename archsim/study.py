"""The validation record: one number of the model against one reference, and what that is worth.

Every layer keeps its own studies (DRAM, host, PIM, analog, workload, TCO) and returns
:class:`Study` records; this module imports nothing from archsim, so any layer may use it.

``kind`` says what the reference is, and so what agreement proves:

* ``external``: another tool's output or a published measurement (``citation`` names the
  paper, or the tool with its version or commit and configuration). Agreement is evidence.
* ``closed-form``: an analytic value or bound derived from the same inputs the model takes
  (a preset's timings, say). Agreement shows the model does what the standard implies.
* ``self``: a consistency check of the model against its own formulas or components.
  Agreement only shows the code is self-consistent; it validates nothing.

A study outside its tolerance is either a regression or, when ``finding`` explains the
difference, a documented finding: the tolerance is never widened to make it pass.

``criterion`` says how the model is judged: ``match`` (|error| <= bound), ``floor`` (model at
least the reference) or ``range`` (within [reference, upper], widened by ``bound``). A range
from a publication may carry its published point estimate (``point``), printed beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KINDS = ("external", "closed-form", "self")
CRITERIA = ("match", "floor", "range")


@dataclass(frozen=True)
class Study:
    system: str
    name: str
    unit: str
    model: float
    reference: float
    bound: float  # relative tolerance
    criterion: str = "match"
    upper: float = 0.0  # the range's upper end
    kind: str = "self"
    citation: str = ""
    point: float | None = None  # a range's published point estimate
    group: str = ""
    # A miss that is understood: why the model and the reference differ (docs/validation.md).
    # A study outside tolerance without one is a regression; with one, a documented finding.
    finding: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"study kind must be one of {KINDS}, not {self.kind!r}")
        if self.criterion not in CRITERIA:
            raise ValueError(f"study criterion must be one of {CRITERIA}, not {self.criterion!r}")
        if self.kind == "external" and not self.citation:
            raise ValueError(f"external study {self.name!r} needs a citation")

    @property
    def error(self) -> float:
        """Signed relative error.

        ``match`` and ``floor``: (model - reference) / reference. ``range``: the signed
        distance to the nearest end when outside (negative below, positive above), else 0.
        """
        if self.criterion == "range":
            if self.model < self.reference:
                return _rel(self.model, self.reference)
            if self.model > self.upper:
                return _rel(self.model, self.upper)
            return 0.0
        return _rel(self.model, self.reference)

    @property
    def margin(self) -> float:
        """For a range the model lies in: relative distance to the nearest end (else 0)."""
        if self.criterion != "range" or self.error != 0.0:
            return 0.0
        return min(_rel(self.model, self.reference), -_rel(self.model, self.upper))

    @property
    def point_error(self) -> float | None:
        """Signed relative error against the published point estimate, if there is one."""
        return None if self.point is None else _rel(self.model, self.point)

    @property
    def ok(self) -> bool:
        if self.criterion == "floor":
            return self.model >= self.reference * (1 - 1e-12)
        if self.criterion == "range":
            return self.reference * (1 - self.bound) <= self.model <= self.upper * (1 + self.bound)
        return abs(self.error) <= self.bound

    def record(self) -> dict:
        """Plain-data form for ``archsim validate --json``."""
        return {
            "group": self.group,
            "system": self.system,
            "study": self.name,
            "kind": self.kind,
            "criterion": self.criterion,
            "unit": self.unit,
            "reference": _num(self.reference),
            "upper": _num(self.upper) if self.criterion == "range" else None,
            "point": _num(self.point) if self.point is not None else None,
            "model": _num(self.model),
            "error": _num(self.error),
            "margin": _num(self.margin) if self.criterion == "range" else None,
            "tolerance": self.bound,
            "verdict": "pass" if self.ok else ("finding" if self.finding else "fail"),
            "citation": self.citation,
            "finding": self.finding,
        }


def _rel(value: float, reference: float) -> float:
    if reference == 0:
        return 0.0 if value == 0 else math.copysign(math.inf, value)
    return (value - reference) / abs(reference)


def _num(x: float) -> float | None:
    """JSON has no inf/NaN: those become null."""
    x = float(x)
    return x if math.isfinite(x) else None
