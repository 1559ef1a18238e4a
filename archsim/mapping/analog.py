"""Mapping for analog crossbars: cost- and accuracy-aware placement, with warnings.

:func:`place_analog` takes the generic placement (:mod:`archsim.mapping.policy`) of a system with
analog crossbar banks and revisits every op it sent to memory (the analog unit's pass in
:mod:`archsim.mapping.passes`):

- **accuracy budget** (``pim.accuracy_budget`` or the ``accuracy_budget`` argument): an op whose
  measured relative error (full shape, :mod:`archsim.pim.analog.accuracy`; closed-loop solution
  error) exceeds the budget runs on the host instead;
- **cost** (``mapping.policy: cost``): an op stays in memory only if it finishes sooner there
  than on the host (one execution of each, both simulated, programming included);
- **warnings**: an op kept in memory by a forced placement (``offload``, ``mapping.overrides``,
  ``mapping.policy: memory``) although the host is faster, or although it misses the budget,
  is kept where it was forced and reported in ``warnings`` with both times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archsim.config.compute import AnalogCrossbarConfig
from archsim.config.system import SystemConfig
from archsim.engine.actions import Actions
from archsim.errors import ConfigError
from archsim.mapping.policy import Placement, reassign
from archsim.workload.graph import Workload

SOLVER_KINDS = ("solve", "regression", "eigen")


@dataclass(frozen=True)
class AnalogPlacement(Placement):
    """A placement plus what the analog mapping found worth telling the user."""

    warnings: list[str] = field(default_factory=list)
    errors: dict[str, float] = field(default_factory=dict)  # measured error of each op tried


def check_budget(budget: float | None, where: str = "accuracy_budget") -> None:
    if budget is not None and not 0 < budget < 1:
        raise ConfigError(
            f"{where}: {budget!r} is not a relative error in (0, 1) (e.g. 0.05 for 5%)"
        )


def place_analog(
    system: SystemConfig,
    workload: Workload,
    placement: Placement,
    energy: Actions,
    seed: int = 0,
    accuracy_budget: float | None = None,
) -> AnalogPlacement:
    """Revisit the ops ``placement`` sends to the analog banks (see the module doc)."""
    from archsim.host.execute import run_on_host
    from archsim.pim.analog.execute import run_analog, run_closed_loop

    pim = system.pim
    if not isinstance(pim, AnalogCrossbarConfig):
        raise ConfigError(f"system {system.name!r}: place_analog needs pim.kind analog-crossbar")
    budget = accuracy_budget if accuracy_budget is not None else pim.accuracy_budget
    check_budget(budget)
    moves: dict[str, str] = {}
    warnings: list[str] = []
    errors: dict[str, float] = {}
    policy = system.mapping.policy
    for op in workload.ops:
        if placement.unit[op.name] != "memory":
            continue
        forced = placement.reasons[op.name].startswith("forced") or policy == "memory"
        if op.kind in SOLVER_KINDS:
            mem, err = run_closed_loop(system, op, workload, energy, seed)
        else:
            mem, err = run_analog(system, op, workload, energy, placement.onchip, seed)
        errors[op.name] = err
        host = run_on_host(system, op, workload, energy, placement.onchip, "fast")
        slower = host.time_ns < mem.time_ns
        misses = budget is not None and err > budget
        why = []
        if misses:
            why.append(f"relative error {err:.3g} above the accuracy budget {budget:g}")
        if slower:
            why.append(
                f"{mem.time_ns:,.0f} ns in memory, {host.time_ns:,.0f} ns on the host"
                f" ({mem.time_ns / host.time_ns:.2g}x slower)"
            )
        if not why:
            continue
        if forced:
            source = placement.reasons[op.name]
            warnings.append(f"op {op.name!r} runs in memory ({source}) although " + "; ".join(why))
        elif misses or (slower and policy == "cost"):
            moves[op.name] = "analog mapping: " + "; ".join(why)
    base = reassign(system, workload, placement, moves) if moves else placement
    return AnalogPlacement(base.unit, base.onchip, base.reasons, warnings, errors)
