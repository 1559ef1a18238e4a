"""Workloads: operator traces (a DAG of ops over tensors) and memory-level traces.

The operator-trace API is imported lazily, so memory-trace users do not pay for it.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "Tensor": "archsim.workload.tensor",
    "Op": "archsim.workload.ops",
    "OpBase": "archsim.workload.ops",
    "Workload": "archsim.workload.graph",
    "WorkloadTotals": "archsim.workload.graph",
    "load_workload": "archsim.workload.presets",
    "read_workload": "archsim.workload.formats",
    "write_workload": "archsim.workload.formats",
    "summarize": "archsim.workload.summary",
    "quantize": "archsim.workload.quantize",
    "prune": "archsim.workload.quantize",
    "make_matrix": "archsim.workload.solvers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'archsim.workload' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)
