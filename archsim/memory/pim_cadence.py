"""How often an in-bank PIM unit can take a column command, in memory-clock cycles."""

from __future__ import annotations

import math

from archsim.config.compute import AimConfig, HbmPimConfig
from archsim.config.system import SystemConfig


def pim_mac_cycles(system: SystemConfig) -> int:
    """Cycles between in-bank PIM column commands on a channel (tCCD_L if the unit says none)."""
    mem = system.memory
    pim = system.pim
    interval = pim.mac_interval_ns if isinstance(pim, HbmPimConfig | AimConfig) else None
    if interval is None:
        return mem.cycles.nCCD_L
    return max(1, math.ceil(interval * 1000.0 / mem.organization.tck_ps - 1e-6))
