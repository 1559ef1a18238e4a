"""Design-space exploration: sweep specs, executors, the DuckDB results store, and reports.

The exports are imported on first use, so ``archsim.dse.cli`` (and the CLI's help) does not load
DuckDB, pyarrow, optuna or Dask.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "SweepOutcome": "archsim.dse.runner",
    "sweep": "archsim.dse.runner",
    "SweepSpec": "archsim.dse.spec",
    "load_sweep": "archsim.dse.spec",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'archsim.dse' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
