"""Cost and carbon per run, per query, per 1,000 tokens and per deployment-year."""

from __future__ import annotations

from archsim.config.system import SystemConfig
from archsim.config.tco import TcoConfig
from archsim.energy.carbon import embodied_g, operational_g
from archsim.energy.tco import S_PER_YEAR, amortized_share, capex_usd, opex_usd
from archsim.records.tco import TcoReport, UnitCost


def _scaled(unit: UnitCost, factor: float) -> UnitCost:
    return UnitCost(**{k: v * factor for k, v in unit.model_dump().items()})


def tco_report(
    system: SystemConfig,
    tco: TcoConfig,
    time_ns: float,
    energy_pj: float,
    tokens: int | None,
    queries: int,
) -> TcoReport:
    """One side of a run: the device's capex and embodied carbon, then every per-unit figure.

    Per-year figures are for ``tco.devices`` devices, each busy ``tco.utilization`` of the year
    running this workload back to back; idle power is not counted.
    """
    capex = capex_usd(system, tco)
    embodied = embodied_g(system, tco)
    busy_s = time_ns * 1e-9
    energy_j = energy_pj * 1e-12
    share = amortized_share(busy_s, tco)
    capex_run, opex_run = capex["total"] * share, opex_usd(energy_j, tco)
    embodied_run, operational_run = embodied["total"] * share, operational_g(energy_j, tco)
    run = UnitCost(
        cost_usd=capex_run + opex_run,
        capex_usd=capex_run,
        opex_usd=opex_run,
        gco2e=embodied_run + operational_run,
        embodied_gco2e=embodied_run,
        operational_gco2e=operational_run,
    )
    runs_per_year = tco.utilization * S_PER_YEAR / busy_s if busy_s > 0 else 0.0
    return TcoReport(
        capex_usd=capex,
        embodied_gco2e=embodied,
        tokens_per_run=tokens,
        queries_per_run=queries,
        per_inference=run,
        per_query=_scaled(run, 1.0 / queries),
        per_1k_tokens=_scaled(run, 1000.0 / tokens) if tokens else None,
        per_year=_scaled(run, runs_per_year * tco.devices),
        runs_per_year=runs_per_year * tco.devices,
        devices=tco.devices,
        utilization=tco.utilization,
        region=tco.region,
        pue=tco.pue,
    )
