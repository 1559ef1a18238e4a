"""Operator-trace commands through ``python -m archsim``: contracts and bad input."""

from __future__ import annotations

import json
import textwrap

import pytest

SUMMARY_KEYS = {"ops", "params", "macs", "flops", "weight_bytes", "activation_bytes",
                "kv_cache_bytes", "intensity_histogram"}  # fmt: skip


from tests.cli_runner import archsim  # noqa: E402  (in-process unless a test gives cwd)


def _json(run) -> dict:
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.slow  # over 1 s: run by CI's slow stage
def test_gen_llm_contract_and_info_round_trip(tmp_path):
    trace = tmp_path / "decode.parquet"
    run = archsim("trace", "gen", "llm", "--model", "llama2-70b", "--phase", "decode",
                  "--batch", "1", "--context", "4096", "-o", trace, "--json", "-")  # fmt: skip
    gen = _json(run)
    assert set(gen) >= SUMMARY_KEYS
    assert abs(gen["params"] / 69e9 - 1) < 0.01
    info = _json(archsim("trace", "info", trace, "--json", "-"))
    assert {k: info[k] for k in SUMMARY_KEYS} == {k: gen[k] for k in SUMMARY_KEYS}
    table = archsim("trace", "info", trace)
    assert table.returncode == 0 and "kv_cache_bytes" in table.stdout


@pytest.mark.slow  # over 3 s: run by CI's slow stage
def test_gen_kinds_write_readable_traces(tmp_path):
    commands = {
        "gemm": ["--m", "16", "--n", "32", "--k", "64", "--sparsity", "2:4"],
        "gemv": ["--m", "4096", "--k", "1024", "--weight-dtype", "int4", "--group-size", "128"],
        "conv": ["--in-channels", "16", "--out-channels", "32", "--height", "14", "--stride", "2"],
        "attention": ["--heads", "8", "--head-dim", "64", "--q-len", "1", "--kv-len", "513",
                      "--kv-heads", "2", "--cache-len", "512", "--causal"],
        "encoder": ["--model", "bert-base", "--seq", "64"],
        "cnn": ["--model", "mobilenetv2", "--image", "96"],
        "solve": ["--n", "64", "--matrix-kind", "toeplitz"],
        "regression": ["--samples", "100", "--features", "8", "--ridge", "0.1"],
        "pagerank": ["--nodes", "128"],
        "kalman": ["--states", "8", "--measurements", "2"],
    }  # fmt: skip
    for kind, args in commands.items():
        path = tmp_path / f"{kind}.jsonl.gz"
        summary = _json(archsim("trace", "gen", kind, *args, "-o", path, "--json", "-"))
        assert summary["macs"] > 0, kind
        assert _json(archsim("trace", "info", path, "--json", "-"))["macs"] == summary["macs"]


@pytest.mark.slow  # over 2 s: run by CI's slow stage
def test_info_on_memory_traces_and_presets(tmp_path):
    mem = _json(archsim("trace", "info", "mixed", "--json", "-"))
    assert mem["kind"] == "memory" and mem["requests"] == mem["reads"] + mem["writes"] == 20_000
    assert mem["address_span"] > 0
    trace = tmp_path / "s.trace"
    assert archsim("trace", "gen", "stream", "--requests", "100", "-o", trace).returncode == 0
    assert _json(archsim("trace", "info", trace, "--json", "-"))["reads"] == 100
    # Workload presets resolve from the installed package, outside the source tree.
    preset = _json(archsim("trace", "info", "llama2-7b-decode", "--json", "-", cwd=tmp_path))
    assert preset["kind"] == "operator" and preset["kv_cache_bytes"] > 0


@pytest.mark.slow  # over 3 s: run by CI's slow stage
def test_from_torch_and_from_onnx(tmp_path):
    module = tmp_path / "net.py"
    module.write_text(
        textwrap.dedent("""
        import torch
        from torch import nn

        def build():
            return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                 nn.Linear(8 * 8 * 8, 10))
    """)
    )
    out = tmp_path / "net.yaml"
    summary = _json(archsim("trace", "from-torch", f"{module}:build", "--input-shape", "1,3,8,8",
                            "-o", out, "--json", "-"))  # fmt: skip
    assert summary["params"] == 8 * 27 + 8 + 512 * 10 + 10
    assert out.exists()

    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 3], [0.0] * 12)
    graph = helper.make_graph(node and [node], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])],
                              [w])  # fmt: skip
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph), str(path))
    summary = _json(archsim("trace", "from-onnx", path, "--input-shape", "x=5,4", "--json", "-"))
    assert summary["macs"] == 5 * 4 * 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["trace", "gen", "llm", "--model", "llama9"], "unknown model 'llama9'"),
        (["trace", "gen", "llm", "--model", "gpt2", "--phase", "train"], "phase"),
        (["trace", "gen", "llm", "--model", "gpt2", "--context", "4096"], "learned positions"),
        (["trace", "gen", "gemm", "--m", "4", "--n", "8", "--k", "0"], "k must be at least 1"),
        (["trace", "gen", "conv", "--in-channels", "3", "--out-channels", "8", "--height", "4",
          "--kernel", "7", "--padding", "0"], "larger than the padded input"),
        (["trace", "gen", "conv", "--in-channels", "3", "--out-channels", "8", "--height", "8",
          "--groups", "2"], "groups (2) does not divide"),
        (["trace", "gen", "attention", "--heads", "8", "--kv-heads", "3", "--head-dim", "4",
          "--q-len", "2"], "kv_heads (3) does not divide heads"),
        (["trace", "gen", "gemm", "--m", "4", "--n", "8", "--k", "6", "--sparsity", "2:4"],
         "not pruned"),
        (["trace", "gen", "gemv", "--m", "4", "--k", "8", "--dtype", "fp64"], "fp64"),
        (["trace", "gen", "gemv", "--m", "4", "--k", "8", "-o", "x.txt"], "unsupported file type"),
        (["trace", "gen", "solve", "--n", "8", "--matrix-kind", "magic"], "matrix_kind"),
        (["trace", "info", "no-such-file.jsonl"], "no such file"),
        (["trace", "from-onnx", "missing.onnx"], "no such ONNX file"),
        (["trace", "from-torch", "nomodule", "--input-shape", "1"], "module.py:factory"),
        (["trace", "from-torch", "missing.py:build", "--input-shape", "1"], "no such file"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2(tmp_path, args, message):
    run = archsim(*args, cwd=tmp_path)
    if message == "not pruned":  # a pruning that cannot apply is noted, not an error
        assert run.returncode == 0, run.stderr
        return
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert message in " ".join(run.stderr.split())


@pytest.mark.slow  # over 2 s: run by CI's slow stage
def test_bad_trace_files_exit_2(tmp_path):
    cyclic = tmp_path / "cyclic.jsonl"
    lines = [
        {"format": "archsim-ops", "version": 1, "name": "c"},
        {"tensor": {"name": "a", "shape": [4]}},
        {"tensor": {"name": "b", "shape": [4]}},
        {"op": {"kind": "eltwise", "name": "f", "inputs": ["b"], "outputs": ["a"], "op": "relu",
                "elements": 4}},
        {"op": {"kind": "eltwise", "name": "g", "inputs": ["a"], "outputs": ["b"], "op": "relu",
                "elements": 4}},
    ]  # fmt: skip
    cyclic.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    garbage = tmp_path / "garbage.trace"
    garbage.write_text("hello world\n")
    onnx_unsupported = tmp_path / "u.onnx"
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Det", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])],
    )  # fmt: skip
    onnx.save(helper.make_model(graph), str(onnx_unsupported))
    module = tmp_path / "bad.py"
    module.write_text("def build():\n    raise RuntimeError('boom')\n")
    cases = [
        (["trace", "info", cyclic], "cyclic dependency"),
        (["trace", "info", garbage], "cannot tell the trace format"),
        (["trace", "from-onnx", onnx_unsupported], "unsupported ONNX ops: Det x1"),
        (["trace", "from-torch", f"{module}:build", "--input-shape", "1"], "boom"),
    ]
    for args, message in cases:
        run = archsim(*args)
        assert run.returncode == 2, (args, run.stderr)
        assert "Traceback" not in run.stderr
        assert message in " ".join(run.stderr.split()), run.stderr


def test_generator_surfaces_derive_from_one_declaration():
    """trace gen options, preset fields and sweep paths are the catalog's parameters."""
    import inspect

    from archsim.dse.paths import workload_paths
    from archsim.workload.catalog import GENERATORS, REQUIRED
    from archsim.workload.ops_cli import GEN_COMMANDS
    from archsim.workload.presets import SPEC_MODELS

    assert set(GEN_COMMANDS) == set(SPEC_MODELS) == set(GENERATORS)
    for name, gen in GENERATORS.items():
        options = inspect.signature(GEN_COMMANDS[name]).parameters
        tail = ["sparsity", "group_size"] if gen.post else []
        tail += ["output", "json_out"]
        assert list(options) == [p.name for p in gen.params if p.cli] + tail
        fields = SPEC_MODELS[name].model_fields
        for p in gen.params:
            default = None if p.default is REQUIRED else p.default
            assert fields[p.name].is_required() == (p.default is REQUIRED), (name, p.name)
            if p.default is not REQUIRED:
                assert fields[p.name].default == default
            if p.cli:
                cli_default = options[p.name].default
                assert (cli_default is inspect.Parameter.empty) == (p.default is REQUIRED)
                if p.default is not REQUIRED:
                    assert cli_default == default
            assert f"workload.{p.name}" in workload_paths(name)
