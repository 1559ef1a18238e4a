"""Bounds on the work one command may start, checked before the work starts.

A typo (``samples: 100000000``, ``--inputs 100000``, a trace arrival at 2**62 ps) should cost an
error message, not minutes of CPU and gigabytes of memory. Each bound can be raised through its
environment variable for a deliberate large run; the message names the variable.
"""

from __future__ import annotations

import os

from archsim.errors import ArchsimError

# Points a sweep may hold (grid product, or samples) x seeds. [assumption] a 10^6-point sweep
# runs for days at the measured 10-100 points/s (docs/performance.md); more is a typo.
MAX_SWEEP_POINTS = 1_000_000
# Memory one analog or trace-generation command may allocate for its arrays. [assumption] 2 GiB
# leaves room beside the interpreter on an 8 GB laptop.
MAX_WORK_BYTES = 2 << 30
# Latest arrival a memory trace may ask for: one simulated hour. [assumption] replay skips idle
# time in closed form, but an arrival at 2**62 ps (53 days) is a unit mistake, not a workload.
MAX_ARRIVAL_PS = 3600 * 10**12
# Requests a generated memory trace or a served request stream may hold. [assumption]
MAX_REQUESTS = 100_000_000

_ENV = {
    "MAX_SWEEP_POINTS": "ARCHSIM_MAX_SWEEP_POINTS",
    "MAX_WORK_BYTES": "ARCHSIM_MAX_WORK_BYTES",
    "MAX_ARRIVAL_PS": "ARCHSIM_MAX_ARRIVAL_PS",
    "MAX_REQUESTS": "ARCHSIM_MAX_REQUESTS",
}


def limit(name: str) -> int:
    """The bound ``name`` (a constant of this module), or its environment override."""
    text = os.environ.get(_ENV[name])
    if text:
        try:
            return int(float(text))
        except ValueError:
            raise ArchsimError(f"{_ENV[name]}={text!r}: not a number") from None
    return globals()[name]


def _size(nbytes: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.1f} {unit}"
    return f"{nbytes:,.0f} B"


def check_points(count: int, what: str) -> None:
    """Refuse a sweep of more than MAX_SWEEP_POINTS points, naming the count."""
    bound = limit("MAX_SWEEP_POINTS")
    if count > bound:
        raise ArchsimError(
            f"{what}: {count:,} points is more than the {bound:,} a sweep may hold"
            f" (set {_ENV['MAX_SWEEP_POINTS']} to allow more)"
        )


def check_bytes(nbytes: float, what: str) -> None:
    """Refuse work whose arrays would take more than MAX_WORK_BYTES, naming the need."""
    bound = limit("MAX_WORK_BYTES")
    if nbytes > bound:
        raise ArchsimError(
            f"{what}: would need about {_size(nbytes)} of memory, more than the {_size(bound)}"
            f" allowed (set {_ENV['MAX_WORK_BYTES']} to allow more)"
        )


def check_count(count: float, name: str, bound_name: str = "MAX_REQUESTS") -> None:
    """Refuse a count above the bound ``bound_name``."""
    bound = limit(bound_name)
    if count > bound:
        raise ArchsimError(
            f"{name}: {count:,} is more than the {bound:,} allowed"
            f" (set {_ENV[bound_name]} to allow more)"
        )
