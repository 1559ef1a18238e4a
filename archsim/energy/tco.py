"""Total cost of ownership: capex of the device (silicon, memory, packaging, server share)
amortized over its lifetime, plus opex (energy x PUE x electricity price).

Capex parts:
- host_die, pim_logic: wafer-based die cost (:mod:`archsim.energy.yield_model`).
- pim_dram: in-bank PIM makes DRAM dies larger for the same capacity; the memory price is taken
  to scale with die area, so PIM adds ``pim_dram_area_overhead`` x the memory cost.
- memory: capacity x price per GB of the memory standard (packaged parts).
- packaging: 2.5D: one interposer plus 3D stacking per HBM stack; board: one package per logic die.
- server_share: board, power delivery, cooling and chassis per device.
A system without ``pim`` (the baseline twin) has no pim_logic and no pim_dram.
"""

from __future__ import annotations

from archsim.config.system import SystemConfig
from archsim.config.tco import DieConfig, TcoConfig
from archsim.energy.yield_model import die_cost_usd
from archsim.errors import ConfigError

J_PER_KWH = 3.6e6
S_PER_YEAR = 365.25 * 86400.0


def die_cost(die: DieConfig, tco: TcoConfig) -> float:
    """Cost of ``die.count`` dies of one kind, USD."""
    node = tco.nodes[die.node]
    return die.count * die_cost_usd(
        die.area_mm2, node, tco.wafer_diameter_mm, tco.yield_cluster_alpha
    )


def memory_packages(system: SystemConfig) -> int:
    """Memory ICs: ``tco.memory_ics`` if given, else stacks (``memory.package: stacked``) or DRAM
    devices (one per device-width slice of every rank)."""
    if system.tco is not None and system.tco.memory_ics is not None:
        return system.tco.memory_ics
    org = system.memory.organization
    if system.memory.package == "stacked":
        return org.stacks
    return org.bus_channels * org.ranks * org.devices_per_rank


def _price(memory, tco: TcoConfig) -> float:
    """$/GB of a memory's standard, or a clear error naming the field to set."""
    try:
        return tco.memory_price_usd_per_gb[memory.standard]
    except KeyError:
        raise ConfigError(
            f"field 'tco.memory_price_usd_per_gb' has no price for {memory.standard}; known:"
            f" {', '.join(sorted(tco.memory_price_usd_per_gb))}"
        ) from None


def capex_usd(system: SystemConfig, tco: TcoConfig) -> dict[str, float]:
    """Capex of one device by part, with their ``total``."""
    memory = system.memory.organization.capacity_bytes / 1e9 * _price(system.memory, tco)
    pim = system.pim is not None
    unit_memory = system.pim_memory if system.pim_memory is not None else system.memory
    unit_memory_usd = unit_memory.organization.capacity_bytes / 1e9 * _price(unit_memory, tco)
    logic_dies = 1 + (tco.pim_die.count if pim and tco.pim_die else 0)
    if tco.integration == "2.5d":
        stacks = (
            system.memory.organization.stacks if system.memory.package == "stacked" else 0
        )
        packaging = tco.packaging.interposer_2p5d_usd + stacks * tco.packaging.stack_3d_usd
        packaging += (logic_dies - 1) * tco.packaging.board_mount_usd
    else:
        packaging = logic_dies * tco.packaging.board_mount_usd
    if system.pim_memory is not None and system.pim_memory.package == "stacked":
        # A separate attention device is a 2.5D package of its own stacks (AttAcc).
        packaging += (
            tco.packaging.interposer_2p5d_usd
            + system.pim_memory.organization.stacks * tco.packaging.stack_3d_usd
        )
    parts = {
        "host_die": die_cost(tco.host_die, tco),
        "pim_logic": die_cost(tco.pim_die, tco) if pim and tco.pim_die else 0.0,
        "memory": memory,
        # A separate in-memory device (AttAcc-style) brings its own DRAM, priced as its standard.
        "pim_memory": unit_memory_usd if system.pim_memory is not None else 0.0,
        "pim_dram": unit_memory_usd * tco.pim_dram_area_overhead if pim else 0.0,
        "packaging": packaging,
        "server_share": tco.server_share_usd,
    }
    # Every device of a multi-device system (``parallel``) carries the same parts.
    parts = {k: v * system.parallel.devices for k, v in parts.items()}
    parts["total"] = sum(parts.values())
    return parts


def opex_usd(energy_j: float, tco: TcoConfig) -> float:
    """Electricity bill of ``energy_j`` of IT energy, with the facility overhead (PUE)."""
    return energy_j / J_PER_KWH * tco.pue * tco.electricity_usd_per_kwh


def amortized_share(busy_s: float, tco: TcoConfig) -> float:
    """Fraction of the device's lifetime capex (or embodied carbon) that ``busy_s`` of work bears.

    The device is busy ``utilization`` of its lifetime; idle time is paid by the busy time.
    """
    return busy_s / (tco.lifetime_years * S_PER_YEAR * tco.utilization)
