"""Discrete-event engine: SimPy with integer-picosecond time and a stats registry."""

from archsim.engine.sim import Simulation
from archsim.engine.stats import Stat, Stats

__all__ = ["Simulation", "Stat", "Stats"]
