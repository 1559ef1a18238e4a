"""In-bank digital PIM: HBM-PIM-like (one SIMD unit per bank pair) and AiM-like (MACs per bank).

Ops compile to DRAM command programs (:mod:`archsim.pim.programs`) timed on the command kernel.
While a channel runs a program it is in all-bank PIM mode and host requests wait; a channel
shared with host traffic alternates, paying HBM-PIM's mode exit and entry each time (AiM takes
its MAC commands beside normal ones, so it pays no mode switch).
"""

from __future__ import annotations

from dataclasses import replace

from archsim.memory.pim_cadence import pim_mac_cycles
from archsim.pim.execute import mode_switch_ns, run_in_bank
from archsim.pim.programs import BYTES_PER_COMMAND
from archsim.pim.shapes import gemv_shapes
from archsim.pim.units import register
from archsim.pim.units.base import UnitDefaults, check_kind, configured

_KINDS = {"gemv", "gemm", "eltwise", "attention"}
_SWITCH: dict[str, float] = {}


class _InBank(UnitDefaults):
    timed_policy = True
    macs_attr = ""

    def op_kinds(self, system) -> set[str]:
        return configured(system, _KINDS)

    def can_run(self, system, op, workload) -> tuple[bool, str]:
        ok, why = check_kind(self, system, op)
        if not ok:
            return ok, why
        pim = system.pim
        if op.kind == "gemm" and max(batch for batch, _, _ in gemv_shapes(op)) > 16:
            return False, "in-bank units run matrix-vector products, not wide GEMMs"
        if op.kind == "attention" and op.q_len > 1:
            return False, "in-bank units run decode attention (one new token), not prefill"
        # 16-bit floating-point formats are interchangeable for these units.
        allowed = {pim.dtype} | ({"fp16", "bf16"} if pim.dtype in ("fp16", "bf16") else set())
        dtypes = {workload.tensors[name].dtype for name in op.inputs}
        if not dtypes <= allowed:
            return False, f"the unit computes in {pim.dtype}; the operands are {sorted(dtypes)}"
        return True, ""

    def cost(self, system, op, workload, energy, onchip, fidelity, seed):
        result = run_in_bank(system, op, workload, energy, fidelity)
        if self.busy_resource(system) == "unit":
            # A second row buffer gives the units a datapath of their own (NeuPIMs): programs
            # no longer take the channels from host requests.
            result = replace(result, demands=result.demands.moved("channels", "pim", "unit"))
        return result, None

    def busy_resource(self, system) -> str:
        return "unit" if getattr(system.pim, "dual_row_buffer", False) else "channels"

    def units(self, system) -> tuple[int, float]:
        """The design's units and the seconds between the column commands feeding each 32 B."""
        org = system.memory.organization
        units = org.bus_channels * org.ranks * org.banks // self.banks_per_unit(system)
        return units, pim_mac_cycles(system) * org.tck_ps * 1e-12

    def banks_per_unit(self, system) -> int:
        return 1

    def peak_flops(self, system) -> float:
        units, seconds = self.units(system)
        return units * self.macs_per_command(system) * 2 / seconds

    def macs_per_command(self, system) -> int:
        return getattr(system.pim, self.macs_attr)

    def operand_bandwidth_gbps(self, system) -> float | None:
        units, seconds = self.units(system)
        return units * BYTES_PER_COMMAND / seconds / 1e9


@register("hbm-pim")
class HbmPim(_InBank):
    macs_attr = "lanes"

    def banks_per_unit(self, system) -> int:
        return system.pim.banks_per_unit

    def mode_switch_ns(self, system) -> float:
        key = system.memory.model_dump_json() + system.pim.model_dump_json()
        if key not in _SWITCH:
            _SWITCH[key] = mode_switch_ns(system)
        return _SWITCH[key]


@register("aim")
class Aim(_InBank):
    macs_attr = "macs_per_bank"

    def macs_per_command(self, system) -> int:
        return system.pim.macs_per_bank * system.pim.vectors_per_pass
