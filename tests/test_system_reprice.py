"""Action counts re-price a saved run exactly as a fresh run with the other table prices it."""

from __future__ import annotations

import pytest

from archsim.config.presets import load_system
from archsim.errors import ConfigError
from archsim.simulate import simulate
from archsim.system.reprice import reprice


@pytest.mark.parametrize(("system", "workload"), [("hbm2-pim", "gemv-4096x1024-fp16"),
                                                  ("ddr4-axdimm", "gemv-4096x1024-fp16")])
def test_reprice_equals_a_fresh_run_with_the_other_table(tmp_path, system, workload):
    cfg = load_system(system)
    other = "hbm3-gpu" if cfg.energy != "hbm3-gpu" else "hbm2-gpu"
    simulate(cfg, workload).write(tmp_path)
    repriced = reprice(tmp_path, other)
    fresh = simulate(load_system(system, {"energy": other}), workload).report
    for side in ("baseline", "in_memory"):
        got, want = getattr(repriced, side), getattr(fresh, side)
        assert set(got.energy_pj) == set(want.energy_pj)
        for key, value in want.energy_pj.items():
            assert got.energy_pj[key] == pytest.approx(value, rel=1e-9, abs=1e-6), (side, key)
        for a, b in zip(got.ops, want.ops, strict=True):
            assert a.energy_pj == pytest.approx(b.energy_pj, rel=1e-9, abs=1e-6), (side, a.name)
    assert repriced.comparison.energy_reduction == pytest.approx(
        fresh.comparison.energy_reduction, rel=1e-9
    )
    if fresh.comparison.tco_reduction is not None:
        assert repriced.comparison.tco_reduction == pytest.approx(
            fresh.comparison.tco_reduction, rel=1e-9
        )
    assert repriced.energy_table == other


def test_counts_price_back_to_the_run_energy():
    from archsim.config.energy import EnergyTable
    from archsim.config.presets import load_yaml_model
    from archsim.energy.ledger import EnergyModel

    cfg = load_system("hbm2-pim")
    result = simulate(cfg, "llama2-7b-decode")
    table = load_yaml_model(EnergyTable, "energy", cfg.energy)
    model = EnergyModel(table, cfg.memory, cfg.host_link.energy_pj_per_bit)
    for side in (result.report.baseline, result.report.in_memory):
        priced = model.price(side.counts).energy_report()
        for key, value in side.energy_pj.items():
            assert priced[key] == pytest.approx(value, rel=1e-9, abs=1e-6)


def test_reprice_refuses_a_directory_that_is_not_a_run(tmp_path):
    with pytest.raises(ConfigError, match=r"report\.json"):
        reprice(tmp_path, "hbm3-gpu")
