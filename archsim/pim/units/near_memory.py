"""Near-memory units on a DIMM buffer chip (AXDIMM-like) or an HBM logic die.

They stream operands at the internal bandwidth of the channels behind them and compute at
their own peak; only their inputs and outputs cross the host link.
"""

from __future__ import annotations

from archsim.pim.execute import run_near_memory
from archsim.pim.units import register
from archsim.pim.units.base import UnitDefaults, check_kind, configured

_KINDS = {"gemv", "gemm", "eltwise", "attention", "embedding", "norm", "softmax", "reduce"}


@register("dimm-buffer", "logic-die")
class NearMemory(UnitDefaults):
    timed_policy = True

    def op_kinds(self, system) -> set[str]:
        return configured(system, _KINDS)

    def can_run(self, system, op, workload) -> tuple[bool, str]:
        return check_kind(self, system, op)

    def cost(self, system, op, workload, energy, onchip, fidelity, seed):
        return run_near_memory(system, op, workload, energy, onchip), None

    def peak_flops(self, system) -> float:
        return system.pim.peak_flops

    def operand_bandwidth_gbps(self, system) -> float | None:
        org = system.memory.organization
        return org.peak_bandwidth_bytes_per_s * system.pim.internal_bandwidth_factor / 1e9
