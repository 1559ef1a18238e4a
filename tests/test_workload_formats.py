"""Operator-trace formats round trip; bad files fail with the file, line and field."""

from __future__ import annotations

import json

import pytest

from archsim.errors import ArchsimError, ConfigError, TraceError
from archsim.workload.cnn import cnn_workload
from archsim.workload.formats import read_workload, write_workload
from archsim.workload.generators import gemm_workload
from archsim.workload.presets import load_workload
from archsim.workload.quantize import prune, quantize
from archsim.workload.solvers import kalman_workload
from archsim.workload.summary import summarize
from archsim.workload.transformer import llm_workload

SUFFIXES = [".jsonl", ".jsonl.gz", ".yaml", ".parquet"]


@pytest.fixture(scope="module")
def workloads():
    llm = llm_workload("llama2-7b", "decode", batch=2, context=64, tokens=2)
    return {
        "llm": llm,
        "pruned": quantize(prune(llm, "2:4"), weights="int4", group_size=128, kv_cache="int8"),
        "csr": prune(gemm_workload(8, 16, 32), 0.9, format="csr"),
        "cnn": cnn_workload("mobilenetv2", image=64),
        "kalman": kalman_workload(6, 3),
    }


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_round_trip(workloads, tmp_path, suffix):
    for key, w in workloads.items():
        path = tmp_path / f"{key}{suffix}"
        write_workload(w, path)
        back = read_workload(path)
        assert back == w, key
        assert back.totals() == w.totals()
        assert summarize(back) == summarize(w)


def test_parquet_is_columnar_and_typed(workloads, tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "w.parquet"
    write_workload(workloads["llm"], path)
    table = pq.read_table(path)
    assert {"record", "name", "kind", "inputs", "outputs", "repeat", "shape", "attrs"} <= set(
        table.column_names
    )
    assert str(table.schema.field("repeat").type) == "int64"


def test_load_workload_reads_trace_files(workloads, tmp_path):
    path = tmp_path / "w.jsonl.gz"
    write_workload(workloads["cnn"], path)
    assert load_workload(str(path)) == workloads["cnn"]
    assert load_workload(str(path), name="renamed").name == "renamed"
    with pytest.raises(ConfigError, match="takes no overrides but name"):
        load_workload(str(path), batch=2)
    with pytest.raises(TraceError, match=r"missing\.parquet: no such file"):
        load_workload(str(tmp_path / "missing.parquet"))


def test_jsonl_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"format": "archsim-ops", "version": 1, "name": "x"}\n{"tensor": \n')
    with pytest.raises(TraceError, match=r"bad.jsonl:2: not valid JSON"):
        read_workload(path)
    path.write_text('{"name": "x"}\n')
    with pytest.raises(TraceError, match=r":1: the first line must be the header"):
        read_workload(path)
    path.write_text('{"format": "archsim-ops", "name": "x"}\n{"thing": {}}\n')
    with pytest.raises(TraceError, match=r":2: expected"):
        read_workload(path)


def test_invalid_trace_content_names_the_op(tmp_path):
    w = gemm_workload(4, 8, 16)
    path = tmp_path / "w.jsonl"
    write_workload(w, path)
    text = path.read_text().replace('"k": 16', '"k": 15')
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"op 'gemm' \(gemm\): inputs\[0\]"):
        read_workload(path)
    path.write_text(path.read_text().replace('"k": 15', '"k": -1'))
    with pytest.raises(ConfigError, match=r"ops\[0\] 'gemm' \(gemm\)\.k"):
        read_workload(path)


def test_unknown_formats(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x00\x01")
    with pytest.raises(TraceError, match="not an operator trace"):
        read_workload(path)
    with pytest.raises(ArchsimError, match="cannot tell the format"):
        write_workload(gemm_workload(1, 1, 1), tmp_path / "x.txt")
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(TraceError, match="not a readable Parquet file"):
        read_workload(bad)
    bad_yaml = tmp_path / "x.yaml"
    bad_yaml.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_workload(bad_yaml)


def test_yaml_trace_is_human_readable(workloads, tmp_path):
    import yaml

    path = tmp_path / "w.yaml"
    write_workload(workloads["kalman"], path)
    data = yaml.safe_load(path.read_text())
    assert set(data) >= {"name", "tensors", "ops"}
    assert data["ops"][0]["kind"] == "gemv"
    jsonl = tmp_path / "w.jsonl"
    write_workload(workloads["kalman"], jsonl)
    first = json.loads(jsonl.read_text().splitlines()[0])
    assert first["format"] == "archsim-ops"
