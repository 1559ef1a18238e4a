"""Where each op runs (host or the in-memory unit) and where each tensor lives.

The default policy is roofline-driven: an op whose arithmetic intensity (FLOPs per byte it
must move) is below the host's ridge point (peak FLOP/s over host-link bandwidth) is memory
bound on the host, so it goes in memory when the unit can run it: GEMV, decode attention,
element-wise work on data that lives in DRAM. High-reuse GEMMs stay on the host. A workload op's
``offload`` field, or the system's ``mapping.overrides`` (op name or glob), force a placement;
the ``cost`` policy then times each of the roofline's in-memory ops on both units and keeps it
in memory only if it finishes sooner there (:mod:`archsim.system.side`);
forcing an op onto a unit that cannot run it is an error naming the op, the unit and the field.

Tensor placement: weights, KV caches and workload inputs live in DRAM; an activation produced
and consumed on the host stays in the host's on-chip buffer when it fits a quarter of it (so
the baseline is not charged DRAM traffic a real accelerator would not make); everything an
in-memory unit reads or writes goes through DRAM or, for activations, over the host link as
operand broadcasts and result read-back.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from archsim.config.base import FieldError
from archsim.config.system import SystemConfig
from archsim.errors import ConfigError
from archsim.pim.shapes import gemv_shapes  # noqa: F401  (re-exported for callers)
from archsim.pim.units import unit_of
from archsim.workload.graph import Workload

ONCHIP_SHARE = 0.25  # share of the host buffer an activation may occupy and still stay on chip


@dataclass(frozen=True)
class Placement:
    unit: dict[str, str]  # op name -> "host" or "memory"
    onchip: frozenset[str]  # activations kept in the host's buffer
    reasons: dict[str, str]


def unit_kinds(system: SystemConfig) -> set[str]:
    """Op kinds the system's in-memory unit runs (none without one)."""
    if system.pim is None:
        return set()
    return unit_of(system).op_kinds(system)


def can_run(system: SystemConfig, op, workload: Workload) -> tuple[bool, str]:
    """Whether the system's in-memory unit can run ``op``, and if not, why."""
    if system.pim is None:
        return False, "the system has no in-memory unit"
    if system.pim_memory is not None and any(
        workload.tensors[t].role == "weight" for t in op.inputs
    ):
        return False, (
            "weights live in the host's memory; the separate in-memory device (pim_memory)"
            " holds KV caches"
        )
    return unit_of(system).can_run(system, op, workload)


def _override(system: SystemConfig, op) -> tuple[str | None, str]:
    if op.offload:
        if op.offload not in ("host", "memory"):
            raise ConfigError(
                f"op {op.name!r}: offload {op.offload!r} is not a placement; use 'host' or 'memory'"
            )
        return op.offload, f"workload op {op.name!r} field 'offload'"
    for pattern, where in system.mapping.overrides.items():
        if fnmatch.fnmatchcase(op.name, pattern):
            return where, f"system field 'mapping.overrides.{pattern}'"
    return None, ""


def place(system: SystemConfig, workload: Workload) -> Placement:
    """Decide the unit of every op and which activations stay on chip."""
    host, link = system.host, system.host_link
    if host is None or link is None:
        raise ConfigError(str(FieldError("host", "a host NPU and host_link are needed to run")))
    ridge = host.peak_flops("fp16") / link.bandwidth_bytes_per_s
    policy = system.mapping.policy if system.pim is not None else "host"
    unit: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for op in workload.ops:
        if system.pim is None:  # the Von Neumann baseline: every op on the host
            unit[op.name] = "host"
            reasons[op.name] = "baseline: no in-memory unit"
            continue
        forced, where = _override(system, op)
        ok, why = can_run(system, op, workload)
        if forced == "memory" and not ok:
            unit_name = system.pim.kind if system.pim else "none"
            raise ConfigError(
                f"op {op.name!r} ({op.kind}) is forced into memory by {where}, but the"
                f" {unit_name} unit cannot run it: {why}"
            )
        if forced is not None and system.pim is not None:
            unit[op.name] = forced
            reasons[op.name] = f"forced by {where}"
            continue
        intensity = op.intensity(workload)
        if policy == "memory" and ok:
            unit[op.name] = "memory"
            reasons[op.name] = "policy 'memory'"
        elif (
            policy in ("roofline", "cost")
            and ok
            and intensity < ridge
            and _operands_in_dram(op, workload, host)
        ):
            unit[op.name] = "memory"
            reasons[op.name] = f"intensity {intensity:.2f} FLOP/B below the ridge {ridge:.0f}"
        else:
            unit[op.name] = "host"
            reasons[op.name] = why or f"intensity {intensity:.2f} FLOP/B, ridge {ridge:.0f}"
    return Placement(unit, _onchip(workload, unit, host.sram_bytes), reasons)


def reassign(
    system: SystemConfig, workload: Workload, placement: Placement, moves: dict[str, str]
) -> Placement:
    """``placement`` with the ops in ``moves`` (name -> why) sent back to the host."""
    assert system.host is not None
    unit = {**placement.unit, **dict.fromkeys(moves, "host")}
    reasons = {**placement.reasons, **moves}
    return Placement(unit, _onchip(workload, unit, system.host.sram_bytes), reasons)


def _operands_in_dram(op, workload: Workload, host) -> bool:
    """Element-wise work is only worth sending to memory when its data already lives there."""
    if op.kind != "eltwise":
        return True
    limit = ONCHIP_SHARE * host.sram_bytes
    return any(
        workload.tensors[name].role != "activation" or workload.tensors[name].stored_bytes > limit
        for name in op.inputs
    )


def _onchip(workload: Workload, unit: dict[str, str], sram_bytes: float) -> frozenset[str]:
    limit = ONCHIP_SHARE * sram_bytes
    onchip = set()
    for name, tensor in workload.tensors.items():
        if tensor.role != "activation" or tensor.stored_bytes > limit:
            continue
        onchip.add(name)
    # An activation an in-memory op writes in DRAM (element-wise results) is not on chip.
    for op in workload.ops:
        if unit.get(op.name) == "memory" and op.kind == "eltwise":
            onchip.difference_update(op.outputs)
    return frozenset(onchip)
