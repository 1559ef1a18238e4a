"""Per-action energy tables (Accelergy-style): energy = action counts x these entries.

A table lives in ``configs/energy/NAME.yaml``; every entry carries its value and its source, so
a reader can audit each number and a new table needs no re-simulation.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from archsim.config.base import Model
from archsim.config.compute import DType
from archsim.config.units import Picojoules, PicojoulesPerBit, Watts


class PerBit(Model):
    energy_pj_per_bit: PicojoulesPerBit = Field(alias="energy", ge=0)
    source: str


class PerAction(Model):
    energy_pj: Picojoules = Field(alias="energy", ge=0)
    source: str


class Power(Model):
    power_w: Watts = Field(alias="power", ge=0)
    source: str


# Where a DRAM column access stops, from the array outwards. A host read crosses every segment
# and then the host link (whose energy per bit is the link's); in-bank PIM stops at `bank`,
# bank-group PIM at `bankgroup`, a logic-die unit at `tsv`.
DRAM_SEGMENTS = ("bank", "bankgroup", "die", "tsv")


class DramEnergy(Model):
    """Dynamic DRAM energy: activations per bit of the activated row, column data per segment."""

    act_pre: PerBit = Field(description="ACT + PRE energy per bit of the row activated")
    bank: PerBit = Field(description="cell array to the bank's column path (sense amps)")
    bankgroup: PerBit = Field(description="column decoder to the bank-group mux")
    die: PerBit = Field(description="bank-group mux to the die's global I/O")
    tsv: PerBit = Field(description="through-silicon vias to the base die (stacked DRAM only)")

    def column_pj_per_bit(self, stop: str) -> float:
        """Energy per bit of a column access whose data stops after segment ``stop``."""
        total = 0.0
        for name in DRAM_SEGMENTS:
            total += getattr(self, name).energy_pj_per_bit
            if name == stop:
                return total
        raise KeyError(f"unknown DRAM segment {stop!r}; choose from {', '.join(DRAM_SEGMENTS)}")


class ComputeEnergy(Model):
    mac: dict[DType, PerAction] = Field(description="one multiply-accumulate, by operand type")
    vector_flop: PerAction = Field(description="one element-wise FLOP in the vector unit")
    sram: PerBit = Field(description="on-chip buffer access")


class EnergyTable(Model):
    """One system family's energies. ``dram: idd`` derives the DRAM path from the memory's IDD
    currents (see :func:`archsim.energy.dram_path.dram_path_energy`)."""

    name: str
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    dram: DramEnergy | Literal["idd"]
    host: ComputeEnergy
    pim: ComputeEnergy | None = None
    host_static: Power
    pim_static: Power | None = None
