"""The action-count vocabulary and the ledger it is booked into, below every unit that acts.

Energy is action counts priced by tables. Host, PIM and analog execution name what they did
(row activations, column bits up to a segment, link bytes, MACs, vector FLOPs, SRAM bytes, wall
time, energy computed by a model outside the table) through :class:`Actions`; a :class:`Ledger`
keeps the counts (Accelergy's way, keyed ``action[.detail]``) beside the energy by component and
the bytes by place. The pricing, :class:`archsim.energy.ledger.EnergyModel`, sits in the energy
layer above the units and is handed to them as their ``Actions``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

COMPONENTS = (
    "dram_activate",
    "dram_array",
    "dram_datapath",
    "dram_tsv",
    "dram_background",
    "dram_refresh",
    "host_link",
    "pim_link",
    "interconnect",
    "host_compute",
    "host_sram",
    "host_static",
    "pim_compute",
    "pim_sram",
    "pim_static",
    "pim_programming",
)
DEVICE_PREFIX = "pim_device/"  # count prefix of actions priced for a separate in-memory device


@dataclass
class Ledger:
    """Energy (pJ) by component and bytes by place, for one side of a comparison."""

    energy: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    bytes: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    counts: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, other: Ledger, times: float = 1.0, prefix: str = "") -> None:
        """Add ``other`` ``times`` over; ``prefix`` tags its counts with the device they were
        priced for (``pim_device/``: the memory of a separate in-memory device)."""
        for k, v in other.energy.items():
            self.energy[k] += v * times
        for k, v in other.bytes.items():
            self.bytes[k] += v * times
        for k, v in other.counts.items():
            self.counts[prefix + k] += v * times

    def energy_report(self) -> dict[str, float]:
        out = {k: float(self.energy.get(k, 0.0)) for k in COMPONENTS}
        out["total"] = sum(out.values())
        return out


class Actions(Protocol):
    """What a unit books into a ledger: each call records its count and its priced energy."""

    def dram_columns(self, ledger: Ledger, bits: float, stop: str) -> None:
        """Column data of ``bits`` that travels from the cells up to segment ``stop``."""

    def activations(self, ledger: Ledger, count: float) -> None:
        """Row activations (and their precharges)."""

    def bank_activations(self, ledger: Ledger, banks: float) -> None:
        """All-bank ACTs, counted per bank."""

    def link(self, ledger: Ledger, nbytes: float) -> None:
        """Bytes over the host link (or a separate device's link)."""

    def interconnect(self, ledger: Ledger, nbytes: float) -> None:
        """Bytes one device sends to others over the device fabric."""

    def fixed_link_bits(self, ledger: Ledger, bits: float) -> None:
        """Bits over link-class wires that are not the host link (a DIMM's data pins)."""

    def fixed(self, ledger: Ledger, component: str, pj: float) -> None:
        """Energy computed by a model outside the table (an analog tile's)."""

    def mac(self, ledger: Ledger, unit: str, count: float, dtype: str) -> None:
        """Multiply-accumulates of ``dtype`` on ``unit`` (host or pim)."""

    def vector(self, ledger: Ledger, unit: str, flops: float) -> None:
        """Vector FLOPs on ``unit``."""

    def sram(self, ledger: Ledger, unit: str, nbytes: float) -> None:
        """SRAM bytes read or written on ``unit``."""

    def run_time(self, ledger: Ledger, seconds: float, pim: bool, host: bool = True) -> None:
        """Wall time: DRAM standby and refresh, static power."""
