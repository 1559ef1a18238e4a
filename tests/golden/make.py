"""Golden outputs that a restructure must reproduce exactly; ``python -m tests.golden.make``.

Two sets, kept apart because they change for different reasons:

- ``workloads/`` (strict): for every workload preset, ``archsim trace info --json`` and the
  operator graph as JSONL; for every ``trace gen`` generator, the JSON summary and the trace of a
  few representative invocations. Nothing in the workload layer's refactor may change a byte.
- ``replay.json`` (regenerated when the DRAM timing kernel legitimately changes): requests,
  cycles and row hits of every memory-only system preset replaying every sample trace.
- ``runs.json`` (regenerated when a model change legitimately moves results, said in the
  commit): for every system preset that ``archsim run`` takes, each side's time, energy and
  host-link bytes and the speedup on one workload, so a restructure shows it changed nothing.

``python -m tests.golden.make workloads`` (or ``replay``, ``runs``) rewrites one set; no argument
all three.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKLOADS = HERE / "workloads"
REPLAY = HERE / "replay.json"
RUNS = HERE / "runs.json"
# The workload each runnable preset is recorded on: the default, or one its memory holds.
# (A preset name, or llm_workload arguments: cent-cxl-pim keeps 80 queries in flight.)
RUN_WORKLOADS: dict[str, str | dict] = {
    "cent-cxl-pim": {"model": "llama2-70b", "phase": "decode", "batch": 80, "context": 2048},
}
RUN_FALLBACK = "gemv-4096x1024-fp16"

# (label, argv after `archsim trace gen`): a few shapes per generator, with the options that
# take a different code path (bias, sparsity, quantization, GQA, KV cache, unrolled layers, ...).
GENERATOR_CASES: list[tuple[str, list[str]]] = [
    ("gemm-basic", ["gemm", "--m", "64", "--n", "128", "--k", "256"]),
    ("gemm-batch-bias-int8", ["gemm", "--m", "16", "--n", "4096", "--k", "1024", "--batch", "4",
                              "--bias", "--weight-dtype", "int8", "--group-size", "128"]),
    ("gemm-sparse", ["gemm", "--m", "8", "--n", "512", "--k", "512", "--sparsity", "2:4",
                     "--dtype", "bf16"]),
    ("gemv-basic", ["gemv", "--m", "4096", "--k", "1024"]),
    ("gemv-batch-int4", ["gemv", "--m", "1024", "--k", "2048", "--batch", "8", "--bias",
                         "--weight-dtype", "int4", "--group-size", "64", "--sparsity", "0.5"]),
    ("conv-basic", ["conv", "--in-channels", "64", "--out-channels", "128", "--height", "56"]),
    ("conv-depthwise-strided", ["conv", "--in-channels", "32", "--out-channels", "32",
                                "--height", "112", "--width", "96", "--kernel", "5", "--stride",
                                "2", "--groups", "32", "--dilation", "2", "--batch", "2",
                                "--bias", "--dtype", "int8"]),
    ("attention-prefill", ["attention", "--heads", "12", "--head-dim", "64", "--q-len", "128",
                           "--causal"]),
    ("attention-gqa-cache", ["attention", "--heads", "32", "--head-dim", "128", "--q-len", "1",
                             "--kv-len", "2049", "--kv-heads", "8", "--cache-len", "2048",
                             "--batch", "4", "--kv-dtype", "fp8"]),
    ("llm-decode", ["llm", "--model", "llama2-7b"]),
    ("llm-prefill-unrolled", ["llm", "--model", "gpt2", "--phase", "prefill", "--context", "256",
                              "--unrolled"]),
    ("llm-decode-quantized", ["llm", "--model", "llama2-70b", "--batch", "8", "--context", "4096",
                              "--tokens", "4", "--weight-dtype", "int4", "--group-size", "128",
                              "--kv-dtype", "fp8"]),
    ("encoder-bert", ["encoder", "--model", "bert-base", "--seq", "384", "--batch", "2"]),
    ("encoder-vit", ["encoder", "--model", "vit-b16", "--image", "384", "--weight-dtype",
                     "int8", "--sparsity", "0.25"]),
    ("cnn-resnet50", ["cnn", "--model", "resnet50", "--batch", "2"]),
    ("cnn-mobilenetv2", ["cnn", "--model", "mobilenetv2", "--image", "160", "--dtype", "int8"]),
    ("solve-spd", ["solve", "--n", "64", "--condition", "100"]),
    ("solve-toeplitz", ["solve", "--n", "128", "--matrix-kind", "toeplitz", "--rhs", "4",
                        "--tolerance", "1e-4", "--seed", "3", "--dtype", "fp16"]),
    ("regression-least-squares", ["regression", "--samples", "512", "--features", "32"]),
    ("regression-ridge", ["regression", "--samples", "1024", "--features", "64", "--ridge",
                          "0.1", "--matrix-kind", "correlated", "--seed", "2"]),
    ("pagerank-basic", ["pagerank", "--nodes", "256"]),
    ("pagerank-dense", ["pagerank", "--nodes", "512", "--damping", "0.9", "--degree", "16",
                        "--tolerance", "1e-8", "--seed", "5"]),
    ("kalman-basic", ["kalman", "--states", "16", "--measurements", "4"]),
    ("kalman-large", ["kalman", "--states", "64", "--measurements", "32", "--seed", "7",
                      "--dtype", "fp16"]),
    ("stream", ["stream", "--requests", "64", "--span", "1MiB"]),
    ("random", ["random", "--requests", "64", "--read-ratio", "0.7", "--seed", "2",
                "--format", "ramulator"]),
    ("strided", ["strided", "--requests", "64", "--stride", "4160B", "--span", "256KiB",
                 "--interval", "2", "--read-ratio", "0.8", "--seed", "3", "--format",
                 "dramsim3"]),
]  # fmt: skip
MEMORY_GENERATORS = ("stream", "random", "strided")


def _cli(args: list[str]) -> str:
    from typer.testing import CliRunner

    from archsim.cli import app

    result = CliRunner().invoke(app, args, catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"archsim {' '.join(args)} exited {result.exit_code}: {result.output}")
    return result.stdout


def workload_outputs() -> dict[str, str]:
    """File name -> exact text, for every workload preset and generator case."""
    from archsim.workload.formats import write_workload
    from archsim.workload.presets import list_workloads, load_workload

    files: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in list_workloads():
            files[f"preset-{name}.info.json"] = _cli(["trace", "info", name, "--json", "-"])
            path = Path(tmp) / f"{name}.jsonl"
            write_workload(load_workload(name), path)
            files[f"preset-{name}.jsonl"] = path.read_text()
        for label, argv in GENERATOR_CASES:
            if argv[0] in MEMORY_GENERATORS:
                path = Path(tmp) / f"{label}.trace"
                files[f"gen-{label}.stdout"] = _cli(["trace", "gen", *argv, "-o", str(path)])
                files[f"gen-{label}.trace"] = path.read_text()
                continue
            path = Path(tmp) / f"{label}.jsonl"
            stdout = _cli(["trace", "gen", *argv, "-o", str(path), "--json", "-"])
            files[f"gen-{label}.json"] = stdout
            files[f"gen-{label}.jsonl"] = path.read_text()
        # The memory generators print the path they wrote; the folder differs on every run.
        return {name: text.replace(tmp, "<tmp>") for name, text in files.items()}


def replay_outputs() -> dict[str, dict[str, dict[str, int]]]:
    """System -> sample trace -> requests, cycles, row hits (reads and writes)."""
    from archsim.memory.validation import memory_standard_presets
    from archsim.system.replay import replay
    from archsim.workload.samples import list_samples, resolve_trace

    out: dict[str, dict[str, dict[str, int]]] = {}
    for system in memory_standard_presets():
        out[system] = {}
        for trace in list_samples():
            # --wrap: the 1 GiB sample traces fold into the smaller presets (as the README shows).
            result = replay(system, resolve_trace(trace), wrap=True)
            base = "system.memory.ch"
            out[system][trace] = {
                "requests": result.report.requests,
                "reads": result.report.reads,
                "writes": result.report.writes,
                "cycles": result.report.cycles,
                "row_hits": int(
                    result.stats.sum(base, ".read_row_hits")
                    + result.stats.sum(base, ".write_row_hits")
                ),
                "activations": result.report.commands["ACT"],
            }
    return out


def run_outputs() -> dict[str, dict]:
    """System preset -> workload, each side's time, energy, host-link bytes, and the speedup."""
    from archsim.config.presets import list_presets, load_system
    from archsim.errors import ConfigError
    from archsim.simulate import simulate
    from archsim.workload.transformer import llm_workload

    out: dict[str, dict] = {}
    for name in list_presets("systems"):
        if load_system(name).host is None:
            continue  # memory-only presets are for replay
        spec = RUN_WORKLOADS.get(name, "llama2-7b-decode")
        workload = llm_workload(**spec) if isinstance(spec, dict) else spec
        try:
            report = simulate(name, workload).report
        except ConfigError:  # the model does not fit this preset's memory
            workload = RUN_FALLBACK
            report = simulate(name, workload).report
        row: dict = {"workload": workload if isinstance(workload, str) else workload.name}
        for side in ("baseline", "in_memory"):
            rep = getattr(report, side)
            if rep is not None:
                row[side] = {
                    "time_ns": rep.time_ns,
                    "energy_pj": rep.energy_pj["total"],
                    "host_link_bytes": rep.bytes_moved["host_link"],
                }
        if report.comparison is not None:
            row["speedup"] = report.comparison.speedup
        out[name] = row
    return out


def runs_text() -> str:
    return json.dumps(run_outputs(), indent=1, sort_keys=True) + "\n"


def replay_text() -> str:
    return json.dumps(replay_outputs(), indent=1, sort_keys=True) + "\n"


def write_workloads() -> None:
    WORKLOADS.mkdir(exist_ok=True)
    for old in WORKLOADS.iterdir():
        old.unlink()
    for name, text in workload_outputs().items():
        (WORKLOADS / name).write_text(text)


def main(argv: list[str]) -> None:
    sets = {"workloads", "replay", "runs"}
    which = set(argv) or sets
    unknown = which - sets
    if unknown:
        raise SystemExit(f"unknown golden set(s) {sorted(unknown)}; use {sorted(sets)}")
    if "workloads" in which:
        write_workloads()
    if "replay" in which:
        REPLAY.write_text(replay_text())
    if "runs" in which:
        RUNS.write_text(runs_text())


if __name__ == "__main__":
    main(sys.argv[1:])
