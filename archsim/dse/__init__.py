"""Design-space exploration: sweep specs, executors, the DuckDB results store, and reports."""

from archsim.dse.runner import SweepOutcome, sweep
from archsim.dse.spec import SweepSpec, load_sweep

__all__ = ["SweepOutcome", "SweepSpec", "load_sweep", "sweep"]
