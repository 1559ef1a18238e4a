"""``archsim analog``: JSON contract and bad input as one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.test_cli import archsim


def test_mvm_json_contract():
    run = archsim("analog", "mvm", "--device", "rram", "--inputs", "64", "--outputs", "32",
                  "--batch", "8", "--seeds", "2", "--json", "-")  # fmt: skip
    assert run.returncode == 0, run.stderr
    r = json.loads(run.stdout)
    assert set(r["rel_error"]) == {"mean", "std"}
    assert 0 < r["rel_error"]["mean"] < 1
    assert r["energy_pj"]["total"] > 0 and r["latency_ns"] > 0


def test_solve_json_contract():
    run = archsim("analog", "solve", "--kind", "toeplitz", "--n", "16", "--device", "ideal",
                  "--json", "-")  # fmt: skip
    assert run.returncode == 0, run.stderr
    r = json.loads(run.stdout)
    assert r["solution_error"] < 0.05
    assert r["settling_time_s"] > 0
    assert {"host_npu", "in_bank_pim"} == set(r["digital"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mvm", "--inputs", "0"], "--inputs: must be a positive integer"),
        (["mvm", "--batch", "-3"], "--batch: must be a positive integer"),
        (["mvm", "--rows", "0"], "--rows: must be a positive integer"),
        (["mvm", "--cols", "0"], "--cols: must be a positive integer"),
        (["mvm", "--device", "nope"], "unknown device preset"),
        (["mvm", "--adc-bits", "0"], "--adc-bits"),
        (["mvm", "--adc-bits", "40"], "--adc-bits"),
        (["mvm", "--weights", "triangle"], "--weights"),
        (["solve", "--n", "0"], "--n: must be a positive integer"),
        (["solve", "--kind", "weird"], "--kind"),
        (["solve", "--gbw", "-1"], "gbw"),
        (["pipeline", "--tiles", "0"], "--tiles: must be a positive integer"),
        (["pipeline", "--replication", "max"], "--replication"),
        (["pipeline", "--system", "hbm2-pim"], "no analog crossbar banks"),
        (["pipeline", "--tiles", "100"], "pim.tiles"),
    ],
)
def test_bad_input_one_line(args, message):
    run = archsim("analog", *args)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.slow  # over 1 s: run by CI's slow stage
def test_weight_file_shape_and_nan(tmp_path):
    good = tmp_path / "w.npy"
    np.save(good, np.ones((4, 3)))
    run = archsim("analog", "mvm", "--weights", str(good), "--inputs", "5", "--outputs", "3")
    assert run.returncode == 2 and "does not match" in run.stderr
    nan = tmp_path / "nan.npy"
    np.save(nan, np.full((4, 3), np.nan))
    run = archsim("analog", "mvm", "--weights", str(nan), "--inputs", "4", "--outputs", "3")
    assert run.returncode == 2 and "NaN" in run.stderr and "Traceback" not in run.stderr


def test_unstable_matrix_file(tmp_path):
    m = tmp_path / "m.npy"
    np.save(m, np.diag([1.0, -2.0, 3.0]))
    run = archsim("analog", "solve", "--matrix", str(m))
    assert run.returncode == 2 and "no stable closed-loop solution" in run.stderr


def test_lifetime_negative_age_is_one_line():
    run = archsim("analog", "lifetime", "--ages", "1d,-3d")
    assert run.returncode == 2
    assert "--ages" in run.stderr and "Traceback" not in run.stderr


def test_pipeline_json_contract(tmp_path):
    dest = tmp_path / "p.json"
    run = archsim("analog", "pipeline", "-w", "resnet50", "--tiles", "1024", "--json", str(dest))
    assert run.returncode == 0, run.stderr
    r = json.loads(dest.read_text())
    assert r["tiles_one_copy"] <= r["tiles_used"] <= r["tiles"] == 1024
    assert sum(layer["tiles"] for layer in r["layers"]) == r["tiles_used"]
    assert r["pipelined_ns"] <= r["sequential_ns"]
    assert max(layer["copies"] for layer in r["layers"]) > 1
    assert r["programming_pj"] == pytest.approx(sum(x["programming_pj"] for x in r["layers"]))
