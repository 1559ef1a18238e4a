"""The SimPy environment with integer-picosecond time and a stats registry.

Components are plain classes with a ``process()`` generator (SimPy's own idiom); this wrapper only
fixes the time unit and gives every component one place to publish its statistics.
"""

from __future__ import annotations

import math

import simpy

from archsim.engine.stats import Stats


class Simulation:
    """A SimPy environment whose clock counts integer picoseconds."""

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.stats = Stats()

    @property
    def now_ps(self) -> int:
        return int(self.env.now)

    def until_ps(self, t_ps: float) -> simpy.events.Timeout:
        """An event at absolute time ``t_ps`` (rounded up to whole ps; never in the past)."""
        target = math.ceil(t_ps - 1e-9)
        return self.env.timeout(max(0, target - self.now_ps))

    def start(self, generator) -> simpy.Process:
        return self.env.process(generator)

    def run(self) -> None:
        self.env.run()
