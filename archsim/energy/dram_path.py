"""DRAM energy per bit along the data path, for the in-memory comparison.

Stacked DRAM (HBM) uses the FGDRAM breakdown (O'Connor et al., "Fine-Grained DRAM", MICRO
2017). For other standards an energy table may say ``dram: idd``: the activation energy
and the array-to-I/O read energy then come from the memory's own IDD currents (the model
``archsim replay`` uses), and the read energy is split over bank, bank-group path and global
I/O in FGDRAM's proportions, 0.44 : 1.01 : 1.23 (an assumption: no public breakdown exists for
DDR4/DDR5/LPDDR5/GDDR6; the total is what the currents give).
"""

from __future__ import annotations

from archsim.config.dram import DramConfig
from archsim.config.energy import DramEnergy, EnergyTable, PerBit
from archsim.energy.dram_idd import action_energy

# FGDRAM per-bit read path (pJ/bit): cell 0.44, column decoder to bank-group mux 1.01, bank-group
# mux to global I/O 1.23 (O'Connor et al., "Fine-Grained DRAM", MICRO 2017).
_FGDRAM_SPLIT = {"bank": 0.44, "bankgroup": 1.01, "die": 1.23}
_IDD_SOURCE = "[derived] from the memory preset's IDD currents (TN-41-01), split as FGDRAM"


def dram_path_energy(table: EnergyTable, memory: DramConfig) -> DramEnergy:
    """The table's DRAM path energies, deriving them from ``memory`` when it says ``idd``."""
    if isinstance(table.dram, DramEnergy):
        return table.dram
    org = memory.organization
    e = action_energy(memory.power, memory.cycles, org)
    burst_bits = org.channel_width * org.burst_length
    row_bits = org.columns * org.device_width * org.devices_per_rank
    read = e.read_pj / burst_bits
    total = sum(_FGDRAM_SPLIT.values())

    def entry(value: float) -> PerBit:
        return PerBit(energy=value * 1e-12, source=_IDD_SOURCE)

    return DramEnergy(
        act_pre=entry(e.act_pre_pj / row_bits),
        bank=entry(read * _FGDRAM_SPLIT["bank"] / total),
        bankgroup=entry(read * _FGDRAM_SPLIT["bankgroup"] / total),
        die=entry(read * _FGDRAM_SPLIT["die"] / total),
        tsv=entry(0.0),
    )


def row_bits(memory: DramConfig) -> int:
    """Bits in one activated row of one bank across the rank's devices."""
    org = memory.organization
    return org.columns * org.device_width * org.devices_per_rank
