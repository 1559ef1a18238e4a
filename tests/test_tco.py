"""TCO and carbon: units, totals = sum of parts, per-unit consistency, monotonicity, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.config.presets import load_system
from archsim.config.tco import dies_per_wafer
from archsim.config.units import UnitError, parse_quantity
from archsim.energy.carbon import embodied_g, operational_g
from archsim.energy.tco import S_PER_YEAR, capex_usd, opex_usd
from archsim.energy.validation import default_tco
from archsim.energy.yield_model import die_cost_usd, die_yield
from archsim.errors import ConfigError
from archsim.simulate import simulate
from archsim.workload.presets import load_workload
from archsim.workload.work_units import queries_per_run, tokens_per_run

TCO_SYSTEMS = ["hbm2-pim", "hbm3-pim", "gddr6-aim", "ddr4-axdimm", "ddr5-npu", "lpddr5-pim"]


@pytest.fixture(scope="module")
def gemv_run():
    return simulate("hbm2-pim", "gemv-4096x1024-fp16")


@pytest.mark.parametrize(
    ("text", "dimension", "value"),
    [
        ("$9346", "usd", 9346.0),
        ("9346$", "usd", 9346.0),
        ("$7/GB", "usd_per_gb", 7.0),
        ("0.0806$/kWh", "usd_per_kwh", 0.0806),
        ("8.06c/kWh", "usd_per_kwh", 0.0806),
        ("583g/kWh", "g_per_kwh", 583.0),
        ("826mm2", "area", 826e-6),
        ("0.002/mm2", "per_area", 2000.0),
        ("2.15kWh/cm2", "kwh_per_area", 21500.0),
        ("5y", "lifetime", 5 * 365.25 * 86400),
    ],
)
def test_tco_units(text, dimension, value):
    assert parse_quantity(text, dimension) == pytest.approx(value)


def test_wrong_money_unit_lists_allowed():
    with pytest.raises(UnitError, match=r"allowed: \$/kWh, c/kWh"):
        parse_quantity("8kWh", "usd_per_kwh")


@pytest.mark.parametrize("name", TCO_SYSTEMS)
def test_totals_are_sums_and_baseline_drops_pim(name):
    system = load_system(name)
    tco = system.tco
    assert tco is not None
    for side in (system, system.baseline()):
        for parts in (capex_usd(side, tco), embodied_g(side, tco)):
            total = parts.pop("total")
            assert total == pytest.approx(sum(parts.values()))
            assert all(v >= 0 for v in parts.values())
    base_capex, pim_capex = capex_usd(system.baseline(), tco), capex_usd(system, tco)
    assert base_capex["pim_logic"] == base_capex["pim_dram"] == 0.0
    assert pim_capex["pim_logic"] + pim_capex["pim_dram"] > 0
    assert pim_capex["total"] > base_capex["total"]
    assert embodied_g(system, tco)["total"] > embodied_g(system.baseline(), tco)["total"]


def test_per_unit_figures_are_consistent(gemv_run):
    report = gemv_run.report
    tco = gemv_run.system.tco
    for side in (report.baseline, report.in_memory):
        t = side.tco
        run = t.per_inference
        assert run.cost_usd == pytest.approx(run.capex_usd + run.opex_usd)
        assert run.gco2e == pytest.approx(run.embodied_gco2e + run.operational_gco2e)
        energy_j = side.energy_pj["total"] * 1e-12
        assert run.opex_usd == pytest.approx(opex_usd(energy_j, tco))
        assert run.operational_gco2e == pytest.approx(operational_g(energy_j, tco))
        runs_per_year = tco.utilization * S_PER_YEAR / (side.time_ns * 1e-9)
        assert t.per_year.cost_usd == pytest.approx(run.cost_usd * runs_per_year * tco.devices)
        assert t.runs_per_year == pytest.approx(runs_per_year * tco.devices)
        # capex over a year of the fleet is the fleet's capex / lifetime, whatever the workload
        fleet = t.capex_usd["total"] * tco.devices / tco.lifetime_years
        assert t.per_year.capex_usd == pytest.approx(fleet)
        assert t.per_1k_tokens is None and t.per_query == run
    c = report.comparison
    assert c.tco_reduction == pytest.approx(
        report.baseline.tco.per_inference.cost_usd / report.in_memory.tco.per_inference.cost_usd
    )
    assert c.carbon_reduction == pytest.approx(
        report.baseline.tco.per_inference.gco2e / report.in_memory.tco.per_inference.gco2e
    )


def test_json_contract_keeps_old_keys_and_adds_tco(gemv_run):
    data = json.loads(gemv_run.report.model_dump_json())
    assert {"speedup", "energy_reduction", "data_movement_reduction"} <= set(data["comparison"])
    assert {"tco_reduction", "carbon_reduction"} <= set(data["comparison"])
    for side in ("baseline", "in_memory"):
        assert {"time_ns", "energy_pj", "bytes_moved", "peak_bandwidth_gbps", "peak_flops"} <= set(
            data[side]
        )
        tco_keys = {"capex_usd", "embodied_gco2e", "per_inference", "per_year"}
        assert tco_keys <= set(data[side]["tco"])


def test_deterministic(gemv_run):
    again = simulate("hbm2-pim", "gemv-4096x1024-fp16")
    assert again.report.model_dump() == gemv_run.report.model_dump()


@pytest.mark.parametrize(
    ("workload", "tokens"),
    [("llama2-7b-decode", 1), ("llama2-7b-prefill", 2048), ("bert-base", 128), ("resnet50", None)],
)
def test_tokens_per_run(workload, tokens):
    wl = load_workload(workload)
    assert tokens_per_run(wl) == tokens
    assert queries_per_run(wl) == 1


@settings(max_examples=40, deadline=None)
@given(a=st.floats(1, 800), grow=st.floats(1.01, 2))
def test_more_area_costs_more(a, grow):
    tco = default_tco()
    node, d, alpha = tco.nodes["5nm"], tco.wafer_diameter_mm, tco.yield_cluster_alpha
    assert die_cost_usd(a * grow, node, d, alpha) > die_cost_usd(a, node, d, alpha)
    assert die_yield(a * grow, node.defect_density_per_mm2, alpha) < die_yield(
        a, node.defect_density_per_mm2, alpha
    )
    assert dies_per_wafer(a * grow, d) < dies_per_wafer(a, d)


@settings(max_examples=40, deadline=None)
@given(pue=st.floats(1.0, 3.0), more=st.floats(0.01, 1.0), energy_j=st.floats(1e-3, 1e9))
def test_higher_pue_costs_and_emits_more(pue, more, energy_j):
    tco = default_tco()
    low, high = (tco.model_copy(update={"pue": p}) for p in (pue, pue + more))
    assert opex_usd(energy_j, high) > opex_usd(energy_j, low)
    assert operational_g(energy_j, high) > operational_g(energy_j, low)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("tco.host_die.area=-5mm2", "tco.host_die.area"),
        ("tco.region=mars", "tco.region: unknown region 'mars'; allowed: world, taiwan"),
        ("tco.host_die.node=2nm", "allowed: 28nm, 8nm, 7nm, 5nm, 3nm"),
        ("tco.pue=0.5", "tco.pue"),
        ("tco.electricity_price=8kWh", "allowed: $/kWh"),
    ],
)
def test_bad_tco_input_names_the_field(assignment, message):
    from archsim.config.presets import parse_assignments

    with pytest.raises(ConfigError) as info:
        load_system("hbm2-pim", parse_assignments([assignment]))
    assert message in str(info.value)


def test_cli_bad_region_is_one_clear_error(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "archsim", "run", "hbm2-pim", "--set", "tco.region=mars"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 2
    assert "tco.region" in run.stderr and "world" in run.stderr
    assert "Traceback" not in run.stderr


def test_override_changes_the_figures():
    from archsim.config.presets import parse_assignments

    solar = load_system("hbm2-pim", parse_assignments(["tco.region=solar", "tco.pue=1.1"]))
    assert solar.tco.grid_intensity_g_per_kwh == 41 and solar.tco.pue == 1.1


def test_batched_decode_counts_tokens_and_queries():
    from archsim.workload.transformer import llm_workload

    wl = llm_workload("llama2-7b", phase="decode", batch=4, context=128, tokens=3)
    assert tokens_per_run(wl) == 12  # 4 sequences x 3 steps
    assert queries_per_run(wl) == 4


def test_die_larger_than_the_wafer_is_a_field_error():
    from archsim.config.presets import parse_assignments

    with pytest.raises(ConfigError, match=r"tco.host_die.area: .* no whole die"):
        load_system("hbm2-pim", parse_assignments(["tco.host_die.area=500"]))


@settings(max_examples=30, deadline=None)
@given(u=st.floats(0.05, 0.9), more=st.floats(0.01, 0.1), busy_s=st.floats(1e-6, 10))
def test_busier_devices_amortize_capex_over_more_work(u, more, busy_s):
    from archsim.energy.tco import amortized_share

    tco = default_tco()
    idle, busy = (tco.model_copy(update={"utilization": x}) for x in (u, u + more))
    assert amortized_share(busy_s, busy) < amortized_share(busy_s, idle)
