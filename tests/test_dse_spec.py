"""Sweep specs: grid / random / optuna expansion, path checks, presets."""

from __future__ import annotations

import pytest

from archsim.config.presets import list_presets
from archsim.dse.point import make_task, run_task
from archsim.dse.spec import SweepSpec, load_sweep
from archsim.errors import ConfigError

GEMV = {"generator": "gemv", "m": 256, "k": 256}


def spec(**kw) -> SweepSpec:
    return SweepSpec(**{"name": "t", "system": "hbm2-pim", "workload": GEMV, **kw})


def test_grid_is_the_cartesian_product_in_order():
    s = spec(
        parameters={
            "workload.m": [256, 512],
            "workload.k": {"start": 256, "stop": 768, "step": 256},
        }
    )
    points = s.points()
    assert len(points) == 6
    assert points[0] == {"workload.m": 256, "workload.k": 256}
    assert points[-1] == {"workload.m": 512, "workload.k": 768}


def test_random_draws_are_seeded_and_in_domain():
    params = {
        "workload.m": {"dist": "loguniform", "low": 64, "high": 4096, "integer": True},
        "host_link.width": [1024, 2048, 4096],
    }
    a = spec(method="random", samples=20, seed=3, parameters=params).points()
    b = spec(method="random", samples=20, seed=3, parameters=params).points()
    c = spec(method="random", samples=20, seed=4, parameters=params).points()
    assert a == b and a != c
    assert all(
        64 <= p["workload.m"] <= 4096 and p["host_link.width"] in (1024, 2048, 4096) for p in a
    )


def test_distribution_axis_draws_count_values():
    s = spec(parameters={"workload.m": {"dist": "uniform", "low": 1, "high": 9, "count": 4}})
    values = [p["workload.m"] for p in s.points()]
    assert len(values) == 4 and len(set(values)) == 4 and all(1 <= v <= 9 for v in values)


def test_unknown_system_path_names_close_matches():
    s = spec(parameters={"memory.organisation.channels": [1, 2]})
    with pytest.raises(ConfigError, match=r"did you mean memory\.organization\.channels"):
        s.check_paths()


def test_unknown_workload_field_names_close_matches():
    with pytest.raises(ConfigError, match=r"workload\.m\b"):
        spec(parameters={"workload.mm": [1]}).check_paths()


def test_optuna_needs_objectives_and_samples():
    with pytest.raises(ValueError, match="objectives"):
        spec(method="optuna", samples=4, parameters={"workload.m": [256]})
    with pytest.raises(ValueError, match="samples"):
        spec(method="random", parameters={"workload.m": [256]})


def test_invalid_value_is_recorded_with_the_pydantic_message():
    task = make_task(0, {"pim.lanes": 8}, 0, "hbm2-pim", GEMV, "fast")
    result = run_task(task)
    assert result["status"] == "failed"
    assert "pim.lanes" in result["error"] and "32 B" in result["error"]
    ok = make_task(0, {"pim.lanes": 16}, 0, "hbm2-pim", GEMV, "fast")
    assert ok.error is None and ok.key != task.key


def test_unreadable_system_fails_in_the_parent():
    task = make_task(0, {"system": "no-such-system"}, 0, "hbm2-pim", GEMV, "fast")
    assert task.error is not None and "no-such-system" in task.error


def test_hash_depends_on_config_and_seed_only():
    a = make_task(0, {"workload.m": 512}, 0, "hbm2-pim", GEMV, "fast")
    b = make_task(7, {"workload.m": 512}, 0, "hbm2-pim", GEMV, "fast")
    c = make_task(0, {"workload.m": 512}, 1, "hbm2-pim", GEMV, "fast")
    assert a.key == b.key != c.key


@pytest.mark.parametrize("name", list_presets("sweeps"))
def test_shipped_sweeps_load(name):
    s = load_sweep(name)
    if s.method != "optuna":
        assert s.points()


ATTENTION = {"generator": "attention", "heads": 8, "head_dim": 64, "q_len": 1, "kv_len": 512}


def test_workload_parameter_picks_the_base_workload_of_each_point(tmp_path):
    from archsim.dse import sweep
    from archsim.dse.store import ResultStore

    s = spec(parameters={"workload": [GEMV, ATTENTION, "gemv-4096x1024-fp16"]})
    s.check_paths()
    outcome = sweep(s, db=tmp_path / "w.duckdb")
    assert outcome.ok == 3
    store = ResultStore(tmp_path / "w.duckdb", read_only=True)
    rows = store.rows()
    store.close()
    # The column holds the name the run reports for each point's workload.
    names = [r["workload"] for r in rows]
    assert names[0].startswith("gemv") and names[1].startswith("attention")
    assert names[2] == "gemv-4096x1024-fp16"
    assert len({r["baseline.time_ns"] for r in rows}) == 3


def test_workload_fields_are_checked_against_every_listed_generator(tmp_path):
    from archsim.dse import sweep

    mixed = spec(parameters={"workload": [GEMV, ATTENTION], "workload.kv_len": [256]})
    mixed.check_paths()  # kv_len is a field of one of them
    outcome = sweep(mixed, db=tmp_path / "m.duckdb")
    assert outcome.ok == 1 and outcome.failed == 1  # the GEMV has no kv_len: that point fails
    assert any("kv_len" in e for e in outcome.errors)
    with pytest.raises(ConfigError, match=r"workload\.kv_lem.*did you mean workload\.kv_len"):
        spec(parameters={"workload": [GEMV, ATTENTION], "workload.kv_lem": [1]}).check_paths()


def test_optuna_refuses_inline_mappings_as_choices():
    with pytest.raises(ValueError, match="optuna chooses among names and numbers"):
        spec(
            method="optuna",
            samples=4,
            parameters={"workload": [GEMV, ATTENTION]},
            objectives=[{"metric": "in_memory.time_ns"}, {"metric": "comparison.speedup"}],
        )


@pytest.mark.parametrize("seeds", [[-1], [2**63]])
def test_seeds_must_fit_a_64_bit_store_column(seeds):
    with pytest.raises(ValueError, match="seeds"):
        spec(seeds=seeds)
