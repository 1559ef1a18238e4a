"""Where each op runs (host or the in-memory unit) and where each tensor lives.

The default policy is roofline-driven: an op whose arithmetic intensity (FLOPs per byte it
must move) is below the host's ridge point (peak FLOP/s over host-link bandwidth) is memory
bound on the host, so it goes in memory when the unit can run it: GEMV, decode attention,
element-wise work on data that lives in DRAM. High-reuse GEMMs stay on the host. A workload op's
``offload`` field, or the system's ``mapping.overrides`` (op name or glob), force a placement;
the ``cost`` policy then times each of the roofline's in-memory ops on both units and keeps it
in memory only if it finishes sooner there (:func:`archsim.simulate.run_side`);
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
from archsim.config.compute import AimConfig, HbmPimConfig, NearMemoryConfig
from archsim.config.system import SystemConfig
from archsim.errors import ConfigError
from archsim.workload.graph import Workload

# Op kinds each unit design can run; an op is also checked against the unit's dtype.
_IN_BANK_KINDS = {"gemv", "gemm", "eltwise", "attention"}
_NEAR_MEMORY_KINDS = {
    "gemv",
    "gemm",
    "eltwise",
    "attention",
    "embedding",
    "norm",
    "softmax",
    "reduce",
}
# Analog crossbars hold static weights; dynamic operands (QKᵀ, AV) stay digital.
_ANALOG_KINDS = {"gemv", "gemm", "conv2d"}
_SOLVER_KINDS = {"solve", "regression", "eigen"}
ONCHIP_SHARE = 0.25  # share of the host buffer an activation may occupy and still stay on chip


@dataclass(frozen=True)
class Placement:
    unit: dict[str, str]  # op name -> "host" or "memory"
    onchip: frozenset[str]  # activations kept in the host's buffer
    reasons: dict[str, str]


def unit_kinds(system: SystemConfig) -> set[str]:
    pim = system.pim
    if pim is None:
        return set()
    base = _NEAR_MEMORY_KINDS if isinstance(pim, NearMemoryConfig) else _IN_BANK_KINDS
    if pim.kind == "analog-crossbar":
        base = _ANALOG_KINDS | (_SOLVER_KINDS if pim.closed_loop else set())
    return base & set(pim.ops) if pim.ops else base


def can_run(system: SystemConfig, op, workload: Workload) -> tuple[bool, str]:
    """Whether the system's in-memory unit can run ``op``, and if not, why."""
    pim = system.pim
    if pim is None:
        return False, "the system has no in-memory unit"
    if op.kind not in unit_kinds(system):
        return False, f"a {pim.kind} unit runs {', '.join(sorted(unit_kinds(system)))}"
    if pim.kind == "analog-crossbar" and op.kind in _SOLVER_KINDS:
        from archsim.pim.analog.execute import closed_loop_can_run

        return closed_loop_can_run(system, op)
    if pim.kind == "analog-crossbar" and not any(
        workload.tensors[name].role == "weight" for name in op.inputs
    ):
        return False, "analog crossbars hold static weights; this op has no weight operand"
    if isinstance(pim, HbmPimConfig | AimConfig):
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


def gemv_shapes(op) -> list[tuple[int, int, int]]:
    """(batch, outputs, inputs) of each matrix product of a GEMV/GEMM, weights as the matrix."""
    shapes = []
    for count, m, n, k in op.gemm_view():
        if op.kind == "gemv":  # y[M] = W[M, K] x[K] for N vectors
            shapes += [(n, m, k)] * count
        else:  # C[M, N] = A[M, K] W[K, N]: N outputs per row of A
            shapes += [(m, n, k)] * count
    return shapes


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
