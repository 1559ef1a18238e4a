"""Analog crossbar banks (RRAM, PCM): static weights in the tiles' conductances, MVMs in place,
and closed-loop solvers (SOLVE, REGRESSION, EIGEN) in op-amp feedback when a circuit is set.

The tiles are beside the DRAM, not in it: they hold no channel, so their work is the unit's.
"""

from __future__ import annotations

import dataclasses

from archsim.engine.demands import Hold, demands, stage
from archsim.pim.units import register
from archsim.pim.units.base import UnitDefaults, check_kind, configured

# Analog crossbars hold static weights; dynamic operands (QKᵀ, AV) stay digital.
_MVM_KINDS = {"gemv", "gemm", "conv2d"}
_SOLVER_KINDS = {"solve", "regression", "eigen"}


@register("analog-crossbar")
class AnalogCrossbar(UnitDefaults):
    # Analog presets place ops with their own policy (``mapping.policy: memory``).
    timed_policy = False

    def op_kinds(self, system) -> set[str]:
        design = _MVM_KINDS | (_SOLVER_KINDS if system.pim.closed_loop else set())
        return configured(system, design)

    def can_run(self, system, op, workload) -> tuple[bool, str]:
        ok, why = check_kind(self, system, op)
        if not ok:
            return ok, why
        if op.kind in _SOLVER_KINDS:
            from archsim.pim.analog.execute import closed_loop_can_run

            return closed_loop_can_run(system, op)
        if not any(workload.tensors[name].role == "weight" for name in op.inputs):
            return False, "analog crossbars hold static weights; this op has no weight operand"
        return True, ""

    def cost(self, system, op, workload, energy, onchip, fidelity, seed):
        """(cost, relative error) of one execution; each op's weights get their own draw."""
        from archsim.pim.analog.execute import run_analog, run_closed_loop

        if op.kind in _SOLVER_KINDS:
            result, error = run_closed_loop(system, op, workload, energy, seed)
        else:
            result, error = run_analog(system, op, workload, energy, onchip, seed)
        if result.demands is None:
            need = demands(stage(Hold("unit", result.time_ns)))
            result = dataclasses.replace(result, demands=need)
        return result, error

    def peak_flops(self, system) -> float:
        from archsim.pim.analog.execute import peak_flops

        return peak_flops(system.pim)

    def operand_bandwidth_gbps(self, system) -> float | None:
        return None  # the weights stay in the cells

    def check_capacity(self, system, ops: list) -> None:
        from archsim.pim.analog.execute import check_capacity

        check_capacity(system.pim, ops)

    def programming(self, system, workload, costs):
        from archsim.pim.analog.execute import programming_report

        return programming_report(system, workload, costs)
