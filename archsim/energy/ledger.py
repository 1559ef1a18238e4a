"""Energy = action counts x per-action energies, kept by component so totals always add up.

The units book their actions through :class:`archsim.engine.actions.Actions` into a
:class:`~archsim.engine.actions.Ledger` (both below them); this model is the pricing they are
handed. Every charge records its action count in :attr:`Ledger.counts` (Accelergy's way), keyed
``action[.detail]``; :meth:`EnergyModel.price` turns counts back into energy with any table, so
a saved run can be re-priced without simulating (``archsim reprice``). Energies computed
outside the table (analog tiles from their device and periphery models, the DIMM's own data
pins priced by the system's link) are kept as ``fixed.<component>`` picojoules.
"""

from __future__ import annotations

from archsim.config.dram import DramConfig
from archsim.config.energy import DRAM_SEGMENTS, DramEnergy, EnergyTable
from archsim.energy.dram_idd import action_energy
from archsim.energy.dram_path import dram_path_energy, row_bits
from archsim.engine.actions import COMPONENTS, Ledger


class EnergyModel:
    """Per-action energies of one system, ready to charge counts (an ``Actions``)."""

    def __init__(
        self,
        table: EnergyTable,
        memory: DramConfig,
        link_pj_per_bit: float,
        link_name: str = "host_link",
        interconnect_pj_per_bit: float = 0.0,
    ) -> None:
        self.table = table
        self.memory = memory
        self.path: DramEnergy = dram_path_energy(table, memory)
        self.row_bits = row_bits(memory)
        self.link_pj_per_bit = link_pj_per_bit
        self.link_name = link_name  # host_link, or pim_link for a separate in-memory device
        self.interconnect_pj_per_bit = interconnect_pj_per_bit
        self.idd = action_energy(memory.power, memory.cycles, memory.organization)

    def dram_columns(self, ledger: Ledger, bits: float, stop: str) -> None:
        """Column data of ``bits`` that travels from the cells up to segment ``stop``."""
        if stop not in DRAM_SEGMENTS:
            raise KeyError(stop)
        ledger.counts[f"dram_column_bits.{stop}"] += bits
        for name in DRAM_SEGMENTS:
            pj = bits * getattr(self.path, name).energy_pj_per_bit
            key = {"bank": "dram_array", "tsv": "dram_tsv"}.get(name, "dram_datapath")
            ledger.energy[key] += pj
            if name == stop:
                return
        raise KeyError(stop)

    def activations(self, ledger: Ledger, count: float) -> None:
        ledger.counts["dram_activations"] += count
        ledger.energy["dram_activate"] += (
            count * self.row_bits * self.path.act_pre.energy_pj_per_bit
        )

    def bank_activations(self, ledger: Ledger, banks: float) -> None:
        """All-bank ACTs count each bank: one bank's row is a rank row over its devices."""
        self.activations(ledger, banks)

    def link(self, ledger: Ledger, nbytes: float) -> None:
        name = self.link_name
        ledger.counts[f"{name}_bits"] += nbytes * 8
        ledger.energy[name] += nbytes * 8 * self.link_pj_per_bit
        ledger.bytes[name] += nbytes

    def interconnect(self, ledger: Ledger, nbytes: float) -> None:
        """Bytes one device sends to others over the device fabric (collectives)."""
        ledger.counts["interconnect_bits"] += nbytes * 8
        ledger.energy["interconnect"] += nbytes * 8 * self.interconnect_pj_per_bit
        ledger.bytes["interconnect"] += nbytes

    def fixed_link_bits(self, ledger: Ledger, bits: float) -> None:
        """Bits driven over link-class wires that are not the host link (a DIMM's data pins
        to its buffer chip): priced like the link, counted apart from its bytes."""
        ledger.counts["link_pin_bits"] += bits
        ledger.energy["host_link"] += bits * self.link_pj_per_bit

    def fixed(self, ledger: Ledger, component: str, pj: float) -> None:
        """Energy computed by a model outside this table (kept as is when re-priced)."""
        if component not in COMPONENTS:
            raise KeyError(component)
        ledger.counts[f"fixed.{component}"] += pj
        ledger.energy[component] += pj

    def mac(self, ledger: Ledger, unit: str, count: float, dtype: str) -> None:
        table = self.table.host if unit == "host" else self.table.pim
        if table is None:
            raise KeyError(f"energy table {self.table.name!r} has no 'pim' section")
        entry = table.mac.get(dtype)  # type: ignore[call-overload]
        if entry is None:
            raise KeyError(f"energy table {self.table.name!r} has no {unit} MAC energy for {dtype}")
        ledger.counts[f"mac.{unit}.{dtype}"] += count
        ledger.energy[f"{unit}_compute"] += count * entry.energy_pj

    def vector(self, ledger: Ledger, unit: str, flops: float) -> None:
        table = self.table.host if unit == "host" else self.table.pim
        assert table is not None
        ledger.counts[f"vector_flops.{unit}"] += flops
        ledger.energy[f"{unit}_compute"] += flops * table.vector_flop.energy_pj

    def sram(self, ledger: Ledger, unit: str, nbytes: float) -> None:
        table = self.table.host if unit == "host" else self.table.pim
        assert table is not None
        ledger.counts[f"sram_bytes.{unit}"] += nbytes
        ledger.energy[f"{unit}_sram"] += nbytes * 8 * table.sram.energy_pj_per_bit

    def run_time(self, ledger: Ledger, seconds: float, pim: bool, host: bool = True) -> None:
        """Energy that grows with wall time: DRAM standby and refresh, static power (of the
        host unless ``host`` is False: a memory device without one)."""
        detail = ".pim" if pim and host else ".pim-device" if pim else ""
        if not host and not pim:
            raise ValueError("run_time: a device without host is a PIM device")
        ledger.counts[f"run_time_s{detail}"] += seconds
        org, n = self.memory.organization, self.memory.cycles
        ranks = org.bus_channels * org.ranks
        cycles = seconds / (org.tck_ps * 1e-12)
        # Standby: the rank is taken as active (some row open) for the whole run, an upper
        # bound that treats both sides alike.
        ledger.energy["dram_background"] += ranks * cycles * self.idd.active_standby_pj_per_cycle
        ledger.energy["dram_refresh"] += ranks * cycles / n.nREFI * self.idd.refresh_all_bank_pj
        if host:
            ledger.energy["host_static"] += self.table.host_static.power_w * seconds * 1e12
        if pim and self.table.pim_static is not None:
            ledger.energy["pim_static"] += self.table.pim_static.power_w * seconds * 1e12

    def price(self, counts: dict[str, float]) -> Ledger:
        """A ledger of ``counts`` priced with this model's table (re-pricing a saved run)."""
        out = Ledger()
        for key, value in sorted(counts.items()):
            action, _, detail = key.partition(".")
            if action == "dram_column_bits":
                self.dram_columns(out, value, detail)
            elif action == "dram_activations":
                self.activations(out, value)
            elif action in ("host_link_bits", "pim_link_bits"):
                if action != f"{self.link_name}_bits":
                    raise KeyError(f"{key} cannot be priced by the {self.link_name} model")
                self.link(out, value / 8)
            elif action == "interconnect_bits":
                self.interconnect(out, value / 8)
            elif action == "link_pin_bits":
                self.fixed_link_bits(out, value)
            elif action == "fixed":
                self.fixed(out, detail, value)
            elif action == "mac":
                unit, _, dtype = detail.partition(".")
                self.mac(out, unit, value, dtype)
            elif action == "vector_flops":
                self.vector(out, detail, value)
            elif action == "sram_bytes":
                self.sram(out, detail, value)
            elif action == "run_time_s":
                self.run_time(out, value, pim=detail != "", host=detail != "pim-device")
            else:
                raise KeyError(f"unknown action count {key!r}")
        return out
