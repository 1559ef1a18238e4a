"""The ``tco`` section of each side of the ``archsim run`` report."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class UnitCost(BaseModel):
    """Cost and emissions of one unit of work (a run, a query, 1,000 tokens, a year)."""

    model_config = ConfigDict(frozen=True)

    cost_usd: float
    capex_usd: float = Field(description="amortized share of the device's capex")
    opex_usd: float = Field(description="electricity, with PUE")
    gco2e: float
    embodied_gco2e: float = Field(description="amortized share of the embodied carbon")
    operational_gco2e: float


class TcoReport(BaseModel):
    """Device capex and embodied carbon, and what each unit of work costs."""

    model_config = ConfigDict(frozen=True)

    capex_usd: dict[str, float] = Field(description="per device, by part plus 'total'")
    embodied_gco2e: dict[str, float] = Field(description="per device, by part plus 'total'")
    tokens_per_run: int | None = Field(description="None for workloads without tokens")
    queries_per_run: int
    per_inference: UnitCost = Field(description="one run of the workload")
    per_query: UnitCost
    per_1k_tokens: UnitCost | None
    per_year: UnitCost = Field(description="the whole deployment for one year")
    runs_per_year: float = Field(description="runs the whole deployment completes in a year")
    devices: int
    utilization: float
    region: str
    pue: float
