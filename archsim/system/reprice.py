"""``archsim reprice OUT_DIR --energy-table T``: a saved run's action counts, priced anew.

Every side of a run keeps its action counts (:attr:`archsim.records.run.SideReport.counts`); an
energy table turns them into energy without simulating again. The run directory written by
``archsim run --out`` holds what pricing needs: the report, the resolved system (and its
baseline) and the operator trace (for cost per token).
"""

from __future__ import annotations

from pathlib import Path

from archsim.config.energy import EnergyTable
from archsim.config.presets import load_system, load_yaml_model
from archsim.errors import ConfigError
from archsim.records.run import RunReport, SideReport


def _price(side: SideReport, system, table: EnergyTable) -> SideReport:
    from archsim.system.side import Models

    models = Models.of(system, table)
    try:
        ledger = models.price(side.counts)
        records = [
            op.model_copy(update={"energy_pj": sum(models.price(op.counts).energy.values())})
            if op.counts
            else op  # a report from before per-op counts: that op keeps its energy
            for op in side.ops
        ]
    except KeyError as exc:
        raise ConfigError(f"energy table {table.name!r} cannot price this run: {exc}") from None
    energy = ledger.energy_report()
    return side.model_copy(update={"energy_pj": energy, "ops": records, "tco": None})


def reprice(out_dir: Path, table_name: str) -> RunReport:
    """The report saved in ``out_dir`` with every energy priced by ``table_name``."""
    from archsim.simulate import compare, with_tco
    from archsim.workload.formats import read_jsonl

    paths = {name: out_dir / name for name in ("report.json", "system.json", "workload.jsonl")}
    for name, path in paths.items():
        if not path.is_file():
            raise ConfigError(
                f"{out_dir}: no {name}; reprice reads a directory written by `archsim run --out`"
            )
    report = RunReport.model_validate_json(paths["report.json"].read_text())
    if not report.baseline.counts:
        raise ConfigError(f"{paths['report.json']}: the report keeps no action counts")
    table = load_yaml_model(EnergyTable, "energy", table_name)
    system = load_system(str(paths["system.json"]))
    base_path = out_dir / "baseline_system.json"
    base = load_system(str(base_path)) if base_path.is_file() else system.baseline()
    b = _price(report.baseline, base if report.in_memory is not None else system, table)
    update: dict = {"energy_table": table.name, "baseline": b}
    if report.in_memory is not None:
        m = _price(report.in_memory, system, table)
        comparison = compare(b, m)
        if system.tco is not None:
            wl = read_jsonl(paths["workload.jsonl"])
            b, m, comparison = with_tco(system, base, wl, b, m, comparison)
        update.update(baseline=b, in_memory=m, comparison=comparison)
    return report.model_copy(update=update)
