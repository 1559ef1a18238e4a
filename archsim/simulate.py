"""``archsim run``: a workload on a system and on its Von Neumann baseline.

The baseline is the system's ``baseline:`` (a preset or YAML path) or, by default, its twin
without ``pim``; a system without in-memory compute is reported alone. Each side is mapped,
costed and run on the system engine by :func:`archsim.system.side.run_side`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from archsim.config.energy import EnergyTable
from archsim.config.presets import load_system, load_yaml_model
from archsim.config.system import SystemConfig
from archsim.errors import ConfigError
from archsim.records.run import Comparison, RunReport, SideReport
from archsim.system.side import SideResult, check_fits, run_side
from archsim.version import __version__
from archsim.workload.formats import write_jsonl
from archsim.workload.graph import Workload

__all__ = ["RunResult", "SideResult", "baseline_of", "run_side", "simulate"]


def baseline_of(cfg: SystemConfig) -> SystemConfig:
    """The system ``cfg`` is compared with: its named ``baseline`` or its twin without PIM."""
    if cfg.baseline_system is None:
        return cfg.baseline()
    try:
        base = load_system(cfg.baseline_system)
    except ConfigError as exc:
        raise ConfigError(f"{cfg.name}: field 'baseline': {exc}") from None
    if base.pim is not None:
        raise ConfigError(
            f"{cfg.name}: field 'baseline' names {base.name!r}, which has in-memory compute"
            " (field 'pim'); a baseline is a Von Neumann system"
        )
    return base


@dataclass
class RunResult:
    report: RunReport
    system: SystemConfig
    workload: Workload
    baseline: SideResult
    in_memory: SideResult | None
    baseline_system: SystemConfig | None = None

    def write(self, out: Path) -> None:
        """The report, the resolved configuration and the per-op details."""
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(self.report.model_dump_json(indent=2) + "\n")
        (out / "system.json").write_text(self.system.model_dump_json(indent=2, by_alias=True))
        if self.baseline_system is not None:
            (out / "baseline_system.json").write_text(
                self.baseline_system.model_dump_json(indent=2, by_alias=True)
            )
        # The operator trace itself, so `archsim run out/system.json -w out/workload.jsonl`
        # reproduces the run.
        write_jsonl(self.workload, out / "workload.jsonl")
        (out / "workload.json").write_text(
            json.dumps(
                {"name": self.workload.name, "totals": vars(self.workload.totals())},
                indent=2,
                default=str,
            )
        )
        sides = [("baseline", self.baseline), ("in_memory", self.in_memory)]
        sides = [(name, res) for name, res in sides if res is not None]
        details = {
            side: {
                op: {"unit": res.placement.unit[op], "why": res.placement.reasons[op]}
                for op in res.placement.unit
            }
            for side, res in sides
        }
        (out / "mapping.json").write_text(json.dumps(details, indent=2))
        (out / "timeline.json").write_text(json.dumps(self.timeline(), indent=1))

    def timeline(self) -> dict:
        """Each op's start and end per resource, per side (ns)."""
        out = {}
        for name, res in (("baseline", self.baseline), ("in_memory", self.in_memory)):
            if res is None or res.timeline is None:
                continue
            graph = res.workload or self.workload  # what one device ran (shard, sub-batches)
            kinds = {op.name: op.kind for op in graph.ops}
            out[name] = {
                "makespan_ns": res.timeline.makespan_ns,
                "busy_ns": res.timeline.busy_ns,
                "ops": [
                    {
                        "name": op.name,
                        "kind": kinds.get(op.name, "collective"),
                        "unit": op.unit,
                        "start_ns": op.start_ns,
                        "end_ns": op.end_ns,
                        "holds": [
                            {
                                "resource": h.resource,
                                "flow": h.flow,
                                "start_ns": h.start_ns,
                                "end_ns": h.end_ns,
                                "work_ns": h.work_ns,
                            }
                            for h in op.holds
                        ],
                    }
                    for op in res.timeline.ops
                ],
            }
        return out


def with_tco(
    cfg: SystemConfig,
    base: SystemConfig,
    wl: Workload,
    b: SideReport,
    m: SideReport,
    comparison: Comparison,
) -> tuple[SideReport, SideReport, Comparison]:
    """Add the cost and carbon of each side and their ratios (with ``cfg``'s tco prices)."""
    from archsim.energy.per_unit import tco_report
    from archsim.workload.work_units import queries_per_run, tokens_per_run

    assert cfg.tco is not None
    tokens, queries = tokens_per_run(wl), queries_per_run(wl)
    sides = []
    for system, side in ((base, b), (cfg, m)):
        tco = tco_report(system, cfg.tco, side.time_ns, side.energy_pj["total"], tokens, queries)
        sides.append(side.model_copy(update={"tco": tco}))
    tb, tm = sides[0].tco.per_inference, sides[1].tco.per_inference
    comparison = comparison.model_copy(
        update={"tco_reduction": tb.cost_usd / tm.cost_usd, "carbon_reduction": tb.gco2e / tm.gco2e}
    )
    return sides[0], sides[1], comparison


def compare(b: SideReport, m: SideReport) -> Comparison:
    return Comparison(
        speedup=b.time_ns / m.time_ns,
        energy_reduction=b.energy_pj["total"] / m.energy_pj["total"],
        data_movement_reduction=(
            b.bytes_moved["host_link"] / m.bytes_moved["host_link"]
            if m.bytes_moved["host_link"]
            else float("inf")
        ),
    )


def simulate(
    system: SystemConfig | str = "hbm2-pim",
    workload: Workload | str = "llama2-7b-decode",
    seed: int = 0,
    fidelity: str = "fast",
) -> RunResult:
    """Run ``workload`` on ``system`` and on its baseline (or alone, without ``pim``)."""
    from archsim.workload.presets import load_workload

    cfg = load_system(system) if isinstance(system, str) else system
    try:
        cfg.require_run_parts()
    except ValueError as exc:
        raise ConfigError(f"{cfg.name}: {exc}") from None
    if fidelity not in ("fast", "full"):
        raise ConfigError(f"fidelity must be 'fast' or 'full', not {fidelity!r}")
    wl = load_workload(workload) if isinstance(workload, str) else workload
    base_cfg = baseline_of(cfg) if cfg.pim is not None else cfg
    check_fits(cfg, wl)
    if base_cfg is not cfg:
        try:
            base_cfg.require_run_parts()
        except ValueError as exc:
            raise ConfigError(f"{cfg.name}: baseline {base_cfg.name}: {exc}") from None
        check_fits(base_cfg, wl)
    assert cfg.energy is not None and base_cfg.energy is not None
    table = load_yaml_model(EnergyTable, "energy", cfg.energy)
    base_table = (
        table
        if base_cfg.energy == cfg.energy
        else load_yaml_model(EnergyTable, "energy", base_cfg.energy)
    )
    baseline = run_side(base_cfg, wl, base_table, fidelity)
    if cfg.pim is None:
        report = RunReport(
            archsim_version=__version__,
            system=cfg.name,
            workload=wl.name,
            seed=seed,
            energy_table=cfg.energy,
            baseline=baseline.report,
        )
        return RunResult(report, cfg, wl, baseline, None)
    in_memory = run_side(cfg, wl, table, fidelity, seed)
    b, m = baseline.report, in_memory.report
    comparison = compare(b, m)
    if cfg.tco is not None:
        b, m, comparison = with_tco(cfg, base_cfg, wl, b, m, comparison)
    report = RunReport(
        archsim_version=__version__,
        system=cfg.name,
        workload=wl.name,
        seed=seed,
        energy_table=cfg.energy,
        baseline=b,
        in_memory=m,
        comparison=comparison,
    )
    return RunResult(report, cfg, wl, baseline, in_memory, base_cfg)
