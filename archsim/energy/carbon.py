"""Carbon: operational (energy x PUE x grid intensity) and embodied (ACT, Gupta et al. 2022).

Embodied carbon of a logic die follows ACT: carbon per area
CPA = (CI_fab x EPA + GPA + MPA) / yield, per process node, times die area; DRAM is carbon per
GB by type; each IC adds a packaging figure. In-bank PIM enlarges the DRAM dies, so it adds
``pim_dram_area_overhead`` x the DRAM carbon (the same area scaling as the cost model).
"""

from __future__ import annotations

from archsim.config.system import SystemConfig
from archsim.config.tco import DieConfig, TcoConfig
from archsim.energy.tco import J_PER_KWH, memory_packages


def carbon_per_area_g_per_cm2(node: str, tco: TcoConfig) -> float:
    """ACT's CPA for a process node, g CO2e per cm2 of die."""
    p = tco.nodes[node]
    return (tco.fab_grid_g_per_kwh * p.epa_kwh_per_cm2 + p.gpa_g_per_cm2 + tco.mpa_g_per_cm2) / (
        tco.act_fab_yield
    )


def die_carbon_g(die: DieConfig, tco: TcoConfig) -> float:
    return die.count * die.area_mm2 / 100.0 * carbon_per_area_g_per_cm2(die.node, tco)


def embodied_g(system: SystemConfig, tco: TcoConfig) -> dict[str, float]:
    """Embodied carbon of one device by part, with their ``total``, g CO2e."""
    pim = system.pim is not None
    dram = (
        system.memory.organization.capacity_bytes
        / 1e9
        * tco.memory_carbon_g_per_gb[system.memory.standard]
    )
    unit_memory = system.pim_memory if system.pim_memory is not None else system.memory
    unit_dram = (
        unit_memory.organization.capacity_bytes
        / 1e9
        * tco.memory_carbon_g_per_gb[unit_memory.standard]
    )
    ics = 1 + memory_packages(system) + (tco.pim_die.count if pim and tco.pim_die else 0)
    if system.pim_memory is not None:
        # A separate attention device: its own memory packages (stacks or DRAM devices).
        org = system.pim_memory.organization
        stacked = system.pim_memory.package == "stacked"
        ics += org.stacks if stacked else org.bus_channels * org.ranks * org.devices_per_rank
    parts = {
        "host_die": die_carbon_g(tco.host_die, tco),
        "pim_logic": die_carbon_g(tco.pim_die, tco) if pim and tco.pim_die else 0.0,
        "memory": dram,
        # A separate in-memory device (AttAcc-style) brings its own DRAM.
        "pim_memory": unit_dram if system.pim_memory is not None else 0.0,
        "pim_dram": unit_dram * tco.pim_dram_area_overhead if pim else 0.0,
        "packaging": ics * tco.packaging_carbon_g_per_ic,
    }
    # Every device of a multi-device system (``parallel``) carries the same parts.
    parts = {k: v * system.parallel.devices for k, v in parts.items()}
    parts["total"] = sum(parts.values())
    return parts


def operational_g(energy_j: float, tco: TcoConfig) -> float:
    """Emissions of ``energy_j`` of IT energy on the configured grid, with PUE."""
    return energy_j / J_PER_KWH * tco.pue * tco.grid_intensity_g_per_kwh
