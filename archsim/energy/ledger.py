"""Energy = action counts x per-action energies, kept by component so totals always add up."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from archsim.config.dram import DramConfig
from archsim.config.energy import DRAM_SEGMENTS, DramEnergy, EnergyTable
from archsim.energy.dram_idd import action_energy
from archsim.energy.dram_path import dram_path_energy, row_bits

COMPONENTS = (
    "dram_activate",
    "dram_array",
    "dram_datapath",
    "dram_tsv",
    "dram_background",
    "dram_refresh",
    "host_link",
    "host_compute",
    "host_sram",
    "host_static",
    "pim_compute",
    "pim_sram",
    "pim_static",
    "pim_programming",
)


@dataclass
class Ledger:
    """Energy (pJ) by component and bytes by place, for one side of a comparison."""

    energy: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    bytes: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, other: Ledger, times: float = 1.0) -> None:
        for k, v in other.energy.items():
            self.energy[k] += v * times
        for k, v in other.bytes.items():
            self.bytes[k] += v * times

    def energy_report(self) -> dict[str, float]:
        out = {k: float(self.energy.get(k, 0.0)) for k in COMPONENTS}
        out["total"] = sum(out.values())
        return out


class EnergyModel:
    """Per-action energies of one system, ready to charge counts."""

    def __init__(self, table: EnergyTable, memory: DramConfig, link_pj_per_bit: float) -> None:
        self.table = table
        self.memory = memory
        self.path: DramEnergy = dram_path_energy(table, memory)
        self.row_bits = row_bits(memory)
        self.link_pj_per_bit = link_pj_per_bit
        self.idd = action_energy(memory.power, memory.cycles, memory.organization)

    def dram_columns(self, ledger: Ledger, bits: float, stop: str) -> None:
        """Column data of ``bits`` that travels from the cells up to segment ``stop``."""
        for name in DRAM_SEGMENTS:
            pj = bits * getattr(self.path, name).energy_pj_per_bit
            key = {"bank": "dram_array", "tsv": "dram_tsv"}.get(name, "dram_datapath")
            ledger.energy[key] += pj
            if name == stop:
                return
        raise KeyError(stop)

    def activations(self, ledger: Ledger, count: float) -> None:
        ledger.energy["dram_activate"] += (
            count * self.row_bits * self.path.act_pre.energy_pj_per_bit
        )

    def bank_activations(self, ledger: Ledger, banks: float) -> None:
        """All-bank ACTs count each bank: one bank's row is a rank row over its devices."""
        self.activations(ledger, banks)

    def link(self, ledger: Ledger, nbytes: float) -> None:
        ledger.energy["host_link"] += nbytes * 8 * self.link_pj_per_bit
        ledger.bytes["host_link"] += nbytes

    def mac(self, ledger: Ledger, unit: str, count: float, dtype: str) -> None:
        table = self.table.host if unit == "host" else self.table.pim
        if table is None:
            raise KeyError(f"energy table {self.table.name!r} has no 'pim' section")
        entry = table.mac.get(dtype)  # type: ignore[call-overload]
        if entry is None:
            raise KeyError(f"energy table {self.table.name!r} has no {unit} MAC energy for {dtype}")
        ledger.energy[f"{unit}_compute"] += count * entry.energy_pj

    def vector(self, ledger: Ledger, unit: str, flops: float) -> None:
        table = self.table.host if unit == "host" else self.table.pim
        assert table is not None
        ledger.energy[f"{unit}_compute"] += flops * table.vector_flop.energy_pj

    def sram(self, ledger: Ledger, unit: str, nbytes: float) -> None:
        table = self.table.host if unit == "host" else self.table.pim
        assert table is not None
        ledger.energy[f"{unit}_sram"] += nbytes * 8 * table.sram.energy_pj_per_bit

    def run_time(self, ledger: Ledger, seconds: float, pim: bool) -> None:
        """Energy that grows with wall time: DRAM standby and refresh, static power."""
        org, n = self.memory.organization, self.memory.cycles
        ranks = org.bus_channels * org.ranks
        cycles = seconds / (org.tck_ps * 1e-12)
        # Standby: the rank is taken as active (some row open) for the whole run, an upper
        # bound that treats both sides alike.
        ledger.energy["dram_background"] += ranks * cycles * self.idd.active_standby_pj_per_cycle
        ledger.energy["dram_refresh"] += ranks * cycles / n.nREFI * self.idd.refresh_all_bank_pj
        ledger.energy["host_static"] += self.table.host_static.power_w * seconds * 1e12
        if pim and self.table.pim_static is not None:
            ledger.energy["pim_static"] += self.table.pim_static.power_w * seconds * 1e12
