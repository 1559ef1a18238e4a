"""A shared resource as a processor-sharing server on the SimPy clock.

Holds that overlap in time share the resource equally: with ``n`` holds active each progresses
at ``capacity / n`` of its alone rate, so the resource never does more work per ns than its
peak and the total time of concurrent holds is their summed work (a fairly arbitrated bus or a
time-sliced array). ``capacity`` may depend on who is active: memory channels that must switch
between host requests and in-bank PIM programs lose the mode-switch time of every alternation.

One SimPy event per hold start or end, never per burst or cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import simpy

# Work left below this (ns) is done: float residue of rate x time products.
_DONE_NS = 1e-6


@dataclass
class _Job:
    remaining_ns: float
    flow: str
    event: simpy.Event
    rate: float = 0.0


@dataclass
class FluidServer:
    env: simpy.Environment
    name: str
    # Fraction of the resource's peak available to the active flows (1.0: no switching loss).
    capacity: Callable[[list[str]], float] = field(default=lambda flows: 1.0)
    busy_ns: float = 0.0  # time with at least one hold active
    work_ns: float = 0.0  # alone-time of the holds served
    loss_ns: float = 0.0  # busy time lost to switching (capacity below 1)
    _jobs: list[_Job] = field(default_factory=list)
    _last: float = 0.0
    _wake: simpy.Event | None = None

    def __post_init__(self) -> None:
        self._last = self.env.now
        self.env.process(self._serve())

    def hold(self, work_ns: float, flow: str = "") -> simpy.Event:
        """An event that fires when ``work_ns`` of alone-time has been served."""
        event = self.env.event()
        if work_ns <= _DONE_NS:
            event.succeed()
            return event
        self._advance()
        self._jobs.append(_Job(work_ns, flow, event))
        self.work_ns += work_ns
        self._rerate()
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()
        return event

    @property
    def active(self) -> int:
        return len(self._jobs)

    def _rerate(self) -> None:
        if not self._jobs:
            return
        cap = self.capacity([j.flow for j in self._jobs])
        share = cap / len(self._jobs)
        for job in self._jobs:
            job.rate = share

    def _advance(self) -> None:
        dt = self.env.now - self._last
        self._last = self.env.now
        if dt <= 0 or not self._jobs:
            return
        self.busy_ns += dt
        cap = sum(j.rate for j in self._jobs)
        self.loss_ns += dt * (1.0 - cap)
        for job in self._jobs:
            job.remaining_ns -= dt * job.rate

    def _serve(self):
        while True:
            self._wake = self.env.event()
            if not self._jobs:
                yield self._wake
                continue
            step = min(j.remaining_ns / j.rate for j in self._jobs)
            timer = self.env.timeout(max(step, 0.0))
            yield timer | self._wake
            self._advance()
            done = [j for j in self._jobs if j.remaining_ns <= _DONE_NS]
            if not done and timer.processed:
                # The timeout fired but float residue left a sliver: finish the nearest job.
                done = [min(self._jobs, key=lambda j: j.remaining_ns / j.rate)]
            for job in done:
                self._jobs.remove(job)
                job.event.succeed()
            self._rerate()
