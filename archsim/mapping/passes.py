"""Placement passes: a unit kind's own revision of the roofline placement.

:func:`archsim.mapping.policy.place` places every op by the roofline; a unit kind whose ops need
more than that to decide (analog crossbars: measured error against an accuracy budget, the host
alternative timed) has a pass here, one entry naming the function. Other kinds keep the roofline
placement.
"""

from __future__ import annotations

from collections.abc import Callable

from archsim.config.system import SystemConfig
from archsim.engine.actions import Actions
from archsim.mapping.analog import place_analog
from archsim.mapping.policy import Placement
from archsim.workload.graph import Workload

PASSES: dict[str, Callable[..., Placement]] = {
    "analog-crossbar": place_analog,
}


def revise(
    system: SystemConfig, workload: Workload, placement: Placement, energy: Actions, seed: int
) -> Placement:
    """``placement`` revised by the pass of ``system.pim``'s kind, if it has one."""
    assert system.pim is not None
    step = PASSES.get(system.pim.kind)
    return placement if step is None else step(system, workload, placement, energy, seed)
