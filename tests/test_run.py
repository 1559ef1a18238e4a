"""`archsim run`: the JSON contract, conservation, physical bounds, mapping, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archsim.config.presets import load_system
from archsim.errors import ConfigError
from archsim.simulate import simulate
from archsim.workload.generators import gemm_workload, gemv_workload
from tests.conftest import RUN_SYSTEMS

SIDE_KEYS = {"time_ns", "energy_pj", "bytes_moved", "peak_bandwidth_gbps", "peak_flops"}


@pytest.fixture(scope="module")
def default_run():
    return simulate()


def test_default_is_hbm2_pim_on_llama2_7b_decode(default_run):
    report = default_run.report
    assert report.system == "hbm2-pim" and report.workload.startswith("llama2-7b-decode")
    data = json.loads(report.model_dump_json())
    assert {
        "archsim_version",
        "system",
        "workload",
        "seed",
        "baseline",
        "in_memory",
        "comparison",
    } <= set(data)
    for side in ("baseline", "in_memory"):
        assert set(data[side]) >= SIDE_KEYS
        assert "host_link" in data[side]["bytes_moved"] and "total" in data[side]["energy_pj"]
    assert {"speedup", "energy_reduction", "data_movement_reduction"} <= set(data["comparison"])


def test_energy_total_is_the_sum_of_components(default_run):
    for side in (default_run.report.baseline, default_run.report.in_memory):
        parts = {k: v for k, v in side.energy_pj.items() if k != "total"}
        assert side.energy_pj["total"] == pytest.approx(sum(parts.values()))
        assert min(parts.values()) >= 0


def test_op_records_add_up_to_the_host_link_bytes(default_run):
    for side in (default_run.report.baseline, default_run.report.in_memory):
        assert sum(op.host_link_bytes for op in side.ops) == pytest.approx(
            side.bytes_moved["host_link"]
        )


def test_comparison_is_consistent_with_the_sides(default_run):
    r = default_run.report
    c = r.comparison
    assert c.speedup == pytest.approx(r.baseline.time_ns / r.in_memory.time_ns)
    assert c.data_movement_reduction == pytest.approx(
        r.baseline.bytes_moved["host_link"] / r.in_memory.bytes_moved["host_link"]
    )


def test_decode_gemvs_go_in_memory_and_the_baseline_keeps_everything_on_the_host(default_run):
    placement = default_run.in_memory.placement
    assert placement.unit["layers.q_proj"] == "memory"
    assert placement.unit["layers.attn_norm"] == "host"  # the unit has no normalization
    assert set(default_run.baseline.placement.unit.values()) == {"host"}


def test_prefill_gemms_stay_on_the_host():
    result = simulate("hbm2-pim", "llama2-7b-prefill")
    assert result.in_memory.placement.unit["layers.q_proj"] == "host"


def test_same_inputs_same_report():
    a = simulate("gddr6-aim", "gemv-4096x1024-fp16", seed=3).report
    b = simulate("gddr6-aim", "gemv-4096x1024-fp16", seed=3).report
    assert a.model_dump() == b.model_dump()


# The analog presets put the 4096x4096 GEMV through their crossbar model: 1.7-2.5 s each, run by
# CI's slow stage; test_analog_run.py runs every one of them on smaller GEMVs in the fast suite.
CROSSBAR_SYSTEMS = {"analog-pcm", "analog-rram", "closed-loop-rram"}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n in CROSSBAR_SYSTEMS else n for n in RUN_SYSTEMS],
)
def test_every_run_system_runs_a_gemv(name):
    dtype = "fp32" if "axdimm" in name else "fp16"
    cfg = load_system(name)
    if cfg.parallel.pipeline > 1:  # a lone GEMV has no layers to split into stages
        with pytest.raises(ConfigError, match=r"parallel\.pipeline"):
            simulate(cfg, gemv_workload(4096, 4096, dtype=dtype))
        return
    report = simulate(cfg, gemv_workload(4096, 4096, dtype=dtype)).report
    assert report.baseline.time_ns > 0
    if cfg.pim is None:  # a Von Neumann system is reported alone
        assert report.in_memory is None and report.comparison is None
    elif cfg.pim_memory is not None:  # attention devices hold no weights: the GEMV stays
        assert report.comparison.data_movement_reduction == pytest.approx(1.0)
    else:
        assert report.in_memory.time_ns > 0
        assert report.comparison.data_movement_reduction > 1


def _physical_floor(side, system, workload):
    """Each op takes at least its bytes at peak bandwidth or its FLOPs at peak compute."""
    cfg = load_system(system) if isinstance(system, str) else system
    link = cfg.host_link.bandwidth_bytes_per_s
    for record in side.ops:
        op = next(o for o in workload.ops if o.name == record.name)
        per_exec = record.time_ns / record.repeat * 1e-9
        if record.unit == "host":
            assert per_exec >= record.host_link_bytes / record.repeat / link * (1 - 1e-9)
            assert per_exec >= op.flops() / cfg.host.peak_flops("fp16") / 4  # fp32 at 1/4 rate
        else:
            assert per_exec >= op.flops() / side.peak_flops * (1 - 1e-9)
            # ... and reads its weights in memory no faster than the unit's own bandwidth.
            reads = op.bytes_read(workload)
            weights = sum(n for t, n in reads.items() if workload.tensors[t].role == "weight")
            unit_bw = side.unit_bandwidth_gbps * 1e9
            assert per_exec >= weights / unit_bw * (1 - 1e-9)


@settings(max_examples=12, deadline=None)
@given(
    system=st.sampled_from(["hbm2-pim", "gddr6-aim", "lpddr5-pim"]),
    rows=st.integers(16, 8192),
    cols=st.integers(16, 8192),
    batch=st.integers(1, 64),
)
def test_no_op_beats_peak_bandwidth_or_compute(system, rows, cols, batch):
    workload = gemm_workload(batch, rows, cols) if batch > 1 else gemv_workload(rows, cols)
    result = simulate(system, workload)
    for side in (result.report.baseline, result.report.in_memory):
        _physical_floor(side, system, workload)


def test_forcing_an_op_onto_a_unit_that_cannot_run_it_names_op_unit_and_field():
    cfg = load_system("hbm2-pim", {"mapping": {"overrides": {"*attn_norm": "memory"}}})
    with pytest.raises(ConfigError) as info:
        simulate(cfg, "llama2-7b-decode")
    message = str(info.value)
    assert "layers.attn_norm" in message and "hbm-pim" in message
    assert "mapping.overrides" in message


def test_forcing_an_unsupported_dtype_is_an_error():
    cfg = load_system(
        "hbm2-pim", {"mapping": {"policy": "roofline", "overrides": {"*q_proj": "memory"}}}
    )
    with pytest.raises(ConfigError, match="int4"):
        simulate(cfg, "llama2-7b-decode-int4")


def test_a_workload_larger_than_memory_is_an_error():
    with pytest.raises(ConfigError, match=r"memory\.organization"):
        simulate("lpddr5-pim", "llama2-7b-decode")


def test_a_memory_only_system_cannot_run():
    with pytest.raises(ConfigError, match="host"):
        simulate("ddr4-3200", "gemv-4096x1024-fp16")


@pytest.mark.slow  # over 1 s: run by CI's slow stage
def test_cli_run_json_and_out_dir(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "archsim",
            "run",
            "gddr6-aim",
            "-w",
            "gemv-4096x1024-fp16",
            "--json",
            "-",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["system"] == "gddr6-aim"
    out = tmp_path / "out"
    assert {"report.json", "system.json", "mapping.json", "workload.json", "workload.jsonl"} <= {
        p.name for p in out.iterdir()
    }
    # The resolved config and trace written beside the report reproduce it exactly.
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "archsim",
            "run",
            str(out / "system.json"),
            "-w",
            str(out / "workload.jsonl"),
            "--json",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    rerun = json.loads(again.stdout)
    for key in ("baseline", "in_memory", "comparison"):
        assert rerun[key] == data[key]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "ddr4-3200"], "no host"),
        (["run", "hbm2-pim", "-w", "llama9"], "llama9"),
        (["run", "hbm2-pim", "--set", "memory.organization.stacks=zero"], "stacks"),
        (["run", "hbm2-pim", "--set", "novalue"], "dotted.path=value"),
    ],
)
def test_cli_run_bad_input(tmp_path, args, message):
    run = subprocess.run(
        [sys.executable, "-m", "archsim", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr


def test_cost_policy_never_offloads_an_op_that_is_slower_in_memory():
    small = gemv_workload(1024, 512)
    roofline = simulate(load_system("hbm3-pim", {"mapping": {"policy": "roofline"}}), small)
    assert roofline.report.comparison.speedup < 0.7  # the unit's fixed costs dominate
    cost = simulate("hbm3-pim", small)  # the default policy
    assert cost.in_memory.placement.unit[small.ops[0].name] == "host"
    assert "policy 'cost'" in cost.in_memory.placement.reasons[small.ops[0].name]
    assert cost.report.comparison.speedup == pytest.approx(1.0)
    big = gemv_workload(4096, 4096)  # where the unit wins, both policies agree
    a = simulate(load_system("hbm2-pim", {"mapping": {"policy": "roofline"}}), big).report
    assert simulate("hbm2-pim", big).report == a


@settings(max_examples=10, deadline=None)
@given(
    system=st.sampled_from(["hbm2-pim", "hbm3-pim", "gddr6-aim", "lpddr5-pim"]),
    rows=st.integers(64, 8192),
    cols=st.integers(64, 8192),
)
def test_the_cost_policy_is_never_slower_than_the_baseline(system, rows, cols):
    report = simulate(system, gemv_workload(rows, cols)).report
    assert report.in_memory.time_ns <= report.baseline.time_ns * (1 + 1e-9)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pim": {"banks_per_unit": 3}}, "pim.banks_per_unit"),
        ({"pim": {"lanes": 32}}, "pim.lanes"),
    ],
)
def test_pim_units_that_do_not_fit_the_banks_are_rejected(overrides, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_system("hbm2-pim", overrides)


def test_a_logic_die_unit_streams_at_internal_bandwidth_without_crossing_the_link():
    from archsim.config.compute import NearMemoryConfig

    unit = NearMemoryConfig(kind="logic-die", peak_flops=100e12, internal_bandwidth_factor=1.0)
    # The roofline policy sends q_proj to the unit even though it is no faster there.
    base = load_system("hbm3-pim", {"mapping": {"policy": "roofline"}})
    cfg = base.model_copy(update={"pim": unit})
    result = simulate(cfg, "llama2-7b-decode")
    assert result.in_memory.placement.unit["layers.q_proj"] == "memory"
    r = result.report
    assert r.comparison.data_movement_reduction > 100
    # Same channels, no interposer: about the same time, less energy.
    assert 0.8 < r.comparison.speedup < 1.5
    assert r.comparison.energy_reduction > 1
