"""The system engine: ops as SimPy processes holding shared resources (docs/design.md section 3).

Each op waits for the ops producing its inputs, then runs its stages (:mod:`archsim.engine.
demands`); the holds of a stage run at once on their resources. Resources are processor-sharing
servers (:class:`archsim.system.fluid.FluidServer`): independent ops overlap, and ops that use
the same resource at the same time slow each other down, so the host computing a GEMM and the
memory running a PIM program overlap, while a host weight stream and a PIM program on the same
channels share them (paying the unit's mode switches while both are active).

An op with ``repeat`` r (identical layers stored once) runs its stages with r times the work:
alone, that is exactly r back-to-back executions; beside other ops it is the fluid
approximation of them (tested against unrolled layers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import simpy

from archsim.engine.demands import RESOURCES, Demands
from archsim.system.fluid import FluidServer


@dataclass(frozen=True)
class HoldSpan:
    resource: str
    flow: str
    start_ns: float
    end_ns: float
    work_ns: float


@dataclass(frozen=True)
class OpSpan:
    """When an op ran and on what (all its repeats together)."""

    name: str
    unit: str
    start_ns: float
    end_ns: float
    holds: tuple[HoldSpan, ...]


@dataclass
class Timeline:
    makespan_ns: float
    ops: list[OpSpan]
    busy_ns: dict[str, float]  # per resource: time with at least one hold active
    work_ns: dict[str, float]  # per resource: alone-time of the holds it served
    switch_loss_ns: float = 0.0  # channel time lost to host/PIM mode switches

    def busy_fraction(self) -> dict[str, float]:
        span = self.makespan_ns
        return {r: (b / span if span else 0.0) for r, b in self.busy_ns.items()}


@dataclass(frozen=True)
class OpJob:
    """One op for the engine: its producers (names), where it runs and its demands."""

    name: str
    after: tuple[str, ...]
    unit: str
    demands: Demands
    repeat: int = 1
    priority: int = 0  # lower is served first on every shared resource (sub-batch order)


@dataclass
class SystemEngine:
    """The shared resources of one device (host, in-memory unit, channels, links)."""

    # Channel capacity while host and in-memory flows share them: 1 minus the share of time
    # lost to mode switches (see :func:`switching_capacity`).
    channel_capacity: Callable[[list[str]], float] = field(default=lambda flows: 1.0)

    def run(self, jobs: Sequence[OpJob]) -> Timeline:
        env = simpy.Environment()
        servers = {
            name: FluidServer(env, name, self.channel_capacity if name == "channels" else _one)
            for name in RESOURCES
            if name != "delay"
        }
        done = {job.name: env.event() for job in jobs}
        spans: dict[str, OpSpan] = {}

        def process(job: OpJob):
            for name in job.after:
                yield done[name]
            start = env.now
            holds: list[HoldSpan] = []
            for st in job.demands.stages:
                t0 = env.now
                events, ends = [], {}
                for i, hold in enumerate(st.holds):
                    work = hold.work_ns * job.repeat
                    if hold.resource == "delay":
                        ev = env.timeout(work)
                    else:
                        ev = servers[hold.resource].hold(work, hold.flow, job.priority)
                    ev.callbacks.append(lambda _, i=i, ends=ends: ends.__setitem__(i, env.now))
                    events.append(ev)
                yield env.all_of(events)
                for i, hold in enumerate(st.holds):
                    work = hold.work_ns * job.repeat
                    holds.append(HoldSpan(hold.resource, hold.flow, t0, ends[i], work))
            spans[job.name] = OpSpan(job.name, job.unit, start, env.now, tuple(holds))
            done[job.name].succeed()

        for job in jobs:
            env.process(process(job))
        env.run()
        missing = [job.name for job in jobs if job.name not in spans]
        if missing:
            raise RuntimeError(
                f"archsim internal error: ops {missing[:5]} never started (a dependency cycle)"
            )
        ch = servers["channels"]
        return Timeline(
            makespan_ns=env.now,
            ops=[spans[job.name] for job in jobs],
            busy_ns={name: s.busy_ns for name, s in servers.items()},
            work_ns={name: s.work_ns for name, s in servers.items()},
            switch_loss_ns=ch.loss_ns,
        )


def _one(flows: list[str]) -> float:
    return 1.0


def switching_capacity(switch_ns: float, quantum_ns: float) -> Callable[[list[str]], float]:
    """Channel capacity while in-bank PIM programs and other flows are both active.

    The controller runs the PIM program for ``quantum_ns``, leaves PIM mode to serve host
    requests for as long, and re-enters: every quantum of useful work costs one round trip of
    ``switch_ns``. With one kind of flow active nothing is lost.
    """
    if switch_ns <= 0:
        return _one
    share = quantum_ns / (quantum_ns + switch_ns)

    def capacity(flows: list[str]) -> float:
        kinds = set(flows)
        return share if "pim" in kinds and len(kinds) > 1 else 1.0

    return capacity
