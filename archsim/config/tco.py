"""TCO and carbon parameters: the ``tco:`` section of a system (defaults in ``configs/tco/``).

A system preset writes ``tco: {base: default, host_die: {...}, ...}``: the shared prices,
process-node table, grid intensities and deployment come from ``configs/tco/default.yaml`` and
the system adds what is its own (host die, PIM overhead). Every number carries its source in the
YAML; nothing here has a default value that is a number from the literature.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from archsim.config.base import FieldError, Model
from archsim.config.standards import StandardName
from archsim.config.units import (
    Grams,
    GramsPerGB,
    GramsPerKwh,
    GramsPerSquareCentimetre,
    KwhPerSquareCentimetre,
    Millimetres,
    PerSquareMillimetre,
    SquareMillimetres,
    Usd,
    UsdPerGB,
    UsdPerKwh,
    Years,
)


def dies_per_wafer(die_area_mm2: float, wafer_diameter_mm: float) -> float:
    """Gross die candidates on a wafer (not rounded: cost is an average): pi (d/2)^2 / A -
    pi d / sqrt(2 A), the edge's partial dies taken off (Hennessy & Patterson, 5th ed., sec. 1.6).
    Wafer geometry, here for the die-fits-a-wafer check; energy/yield_model.py prices dies."""
    if die_area_mm2 <= 0:
        raise ValueError(f"die area must be positive, got {die_area_mm2} mm2")
    d = wafer_diameter_mm
    return math.pi * (d / 2) ** 2 / die_area_mm2 - math.pi * d / math.sqrt(2 * die_area_mm2)


class NodeParams(Model):
    """One logic process node: wafer price and defects (cost), fab energy and gases (ACT)."""

    wafer_cost_usd: Usd = Field(alias="wafer_cost", gt=0)
    defect_density_per_mm2: PerSquareMillimetre = Field(alias="defect_density", ge=0)
    epa_kwh_per_cm2: KwhPerSquareCentimetre = Field(alias="epa", ge=0)
    gpa_g_per_cm2: GramsPerSquareCentimetre = Field(alias="gpa", ge=0)


class DieConfig(Model):
    """A logic die: its area and process node (a key of ``tco.nodes``)."""

    area_mm2: SquareMillimetres = Field(alias="area", gt=0)
    node: str
    count: int = Field(1, gt=0, description="identical dies (one per DIMM, say)")


class PackagingParams(Model):
    """Assembly cost per package by integration style."""

    interposer_2p5d_usd: Usd = Field(alias="interposer_2p5d", ge=0)
    stack_3d_usd: Usd = Field(alias="stack_3d", ge=0, description="per DRAM stack (TSV, bonding)")
    board_mount_usd: Usd = Field(alias="board_mount", ge=0, description="one plain substrate")


class TcoConfig(Model):
    """Everything the cost and carbon models read, resolved for one system."""

    sources: dict[str, str] = Field(default_factory=dict)
    # -- manufacturing ---------------------------------------------------------------------
    wafer_diameter_mm: Millimetres = Field(alias="wafer_diameter", gt=0)
    yield_cluster_alpha: float = Field(alias="yield_alpha", gt=0)
    nodes: dict[str, NodeParams]
    memory_price_usd_per_gb: dict[StandardName, UsdPerGB] = Field(alias="memory_price")
    packaging: PackagingParams
    integration: Literal["2.5d", "board"] = Field(
        description="2.5d: host and memory stacks on a silicon interposer; board: separate packages"
    )
    server_share_usd: Usd = Field(alias="server_share", ge=0)
    # -- the system's own silicon ----------------------------------------------------------
    host_die: DieConfig
    pim_dram_area_overhead: float = Field(
        0.0, ge=0, description="extra DRAM die area per GB that in-bank PIM logic takes (fraction)"
    )
    pim_die: DieConfig | None = Field(None, description="a separate logic die for near-memory PIM")
    memory_ics: int | None = Field(
        None, gt=0, description="memory packages, when not one per HBM stack or DRAM device"
    )
    # -- embodied carbon (ACT) -------------------------------------------------------------
    fab_grid_g_per_kwh: GramsPerKwh = Field(alias="fab_grid", ge=0)
    mpa_g_per_cm2: GramsPerSquareCentimetre = Field(alias="mpa", ge=0)
    act_fab_yield: float = Field(alias="fab_yield", gt=0, le=1)
    memory_carbon_g_per_gb: dict[StandardName, GramsPerGB] = Field(alias="memory_carbon")
    packaging_carbon_g_per_ic: Grams = Field(alias="packaging_carbon", ge=0)
    # -- operation and deployment ----------------------------------------------------------
    electricity_usd_per_kwh: UsdPerKwh = Field(alias="electricity_price", ge=0)
    pue: float = Field(ge=1.0, description="facility energy / IT energy")
    grid_g_per_kwh: dict[str, GramsPerKwh] = Field(alias="grid")
    region: str = Field(description="a key of grid: where the devices run")
    utilization: float = Field(gt=0, le=1, description="fraction of the year the device is busy")
    lifetime_years: Years = Field(alias="lifetime", gt=0)
    devices: int = Field(gt=0, description="devices in the deployment (per-year totals)")

    @model_validator(mode="after")
    def _keys_known(self) -> TcoConfig:
        if self.region not in self.grid_g_per_kwh:
            raise FieldError(
                "region",
                f"unknown region {self.region!r}; allowed: {', '.join(self.grid_g_per_kwh)}",
            )
        for field, die in (("host_die", self.host_die), ("pim_die", self.pim_die)):
            if die is None:
                continue
            if die.node not in self.nodes:
                raise FieldError(
                    f"{field}.node",
                    f"unknown process node {die.node!r}; allowed: {', '.join(self.nodes)}",
                )
            if dies_per_wafer(die.area_mm2, self.wafer_diameter_mm) < 1:
                raise FieldError(
                    f"{field}.area",
                    f"{die.area_mm2:g} mm2 leaves no whole die on a {self.wafer_diameter_mm:g} mm"
                    " wafer (a bare number is m2: write the unit, e.g. '826mm2')",
                )
        return self

    @property
    def grid_intensity_g_per_kwh(self) -> float:
        return self.grid_g_per_kwh[self.region]
