"""The bad-input corpus: every subcommand and every option that reads a file, a path or a number,
given what a new user (or a typo) gives it.

Each case runs the real command line in-process (``archsim.cli.execute``, a few ms each) and must:
exit non-zero (no silent acceptance), raise nothing (no traceback), print a message naming the
option, field path or file (``file:line`` where a line is at fault), leave no file behind that
was not there before (no partial output), and finish within its time bound. A few cases run as
subprocesses at the end, so the console entry point is covered too.
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pytest

from archsim.cli import execute

LIMIT_S = 10  # seconds a case may take (the bound)

# -- inputs -------------------------------------------------------------------------------------

NATIVE_HEAD = "# archsim memory trace v1\n# arrival_ps op address\n"
GOOD_NATIVE = NATIVE_HEAD + "0 R 0x0\n10 W 0x40\n"
OPS_HEAD = '{"format": "archsim-ops", "version": 1, "name": "t"}\n'
GOOD_OPS = (
    OPS_HEAD
    + '{"tensor": {"name": "a", "shape": [4, 8], "role": "weight"}}\n'
    + '{"tensor": {"name": "x", "shape": [1, 8], "role": "input"}}\n'
    + '{"tensor": {"name": "y", "shape": [1, 4], "role": "output"}}\n'
    + '{"op": {"kind": "gemv", "name": "g", "inputs": ["a", "x"], "outputs": ["y"],'
    ' "m": 4, "k": 8}}\n'
)
NOT_UTF8 = b"name: \xff\xfe\xfd bad\n"
LOG_HEAD = (
    "# archsim command log v1\n# system: ddr4-3200\n# standard: DDR4\n# tck_ps: 625\n"
    "# cycle command channel rank bankgroup bank row column\n"
)
GZIP_TRACE = gzip.compress(GOOD_NATIVE.encode())
SWEEP = "name: s\nsystem: hbm2-pim\nworkload: gemv-4096x1024-fp16\nmethod: grid\nparameters:\n"
NPY = b""  # filled in by the fixture (np.save needs a file)


def _npy(array) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


# Shared files every case may use (relative to the case's working directory).
FILES: dict[str, bytes | str] = {
    "good.trace": GOOD_NATIVE,
    "header-only.trace": NATIVE_HEAD,
    "empty.trace": "",
    "badop.trace": NATIVE_HEAD + "0 R 0x0\n5 X 0x40\n",
    "badaddr.trace": NATIVE_HEAD + "0 R 0xZZ\n",
    "fields.trace": NATIVE_HEAD + "0 R\n",
    "backwards.trace": NATIVE_HEAD + "10 R 0x0\n5 R 0x40\n",
    "negative.trace": NATIVE_HEAD + "-5 R 0x0\n",
    "far.trace": NATIVE_HEAD + "0 R 0x0\n4611686018427387904 R 0x40\n",
    "beyond.trace": NATIVE_HEAD + "0 R 0xffffffffffffffc0\n",
    "notutf8.trace": b"\xff\xfe 0 R 0x0\n",
    "truncated.trace.gz": GZIP_TRACE[: len(GZIP_TRACE) // 2],
    "gzip-no-suffix.trace": GZIP_TRACE,
    "binary.trace": bytes(range(256)) * 4,
    "ramulator-bad.trace": "LD 0x0\nXX 0x40\n",
    "dramsim3-bad.trace": "0x0 READ 0\n0x40 READ notatime\n",
    "good.jsonl": GOOD_OPS,
    "ops-header-only.jsonl": OPS_HEAD,
    "ops-empty.jsonl": "",
    "ops-badjson.jsonl": OPS_HEAD + '{"tensor": {"name": "a", \n',
    "ops-version-str.jsonl": GOOD_OPS.replace('"version": 1', '"version": "1"'),
    "ops-version-9.jsonl": GOOD_OPS.replace('"version": 1', '"version": 9'),
    "ops-noformat.jsonl": GOOD_OPS.replace('"archsim-ops"', '"other"'),
    "ops-unknown-kind.jsonl": GOOD_OPS.replace('"kind": "gemv"', '"kind": "warp"'),
    "ops-missing-tensor.jsonl": GOOD_OPS.replace('["a", "x"]', '["a", "q"]'),
    "ops-negative-shape.jsonl": GOOD_OPS.replace("[4, 8]", "[-4, 8]"),
    "ops-string-shape.jsonl": GOOD_OPS.replace("[4, 8]", '"4x8"'),
    "ops-array.jsonl": OPS_HEAD + "[1, 2]\n",
    "ops-notutf8.jsonl": OPS_HEAD.encode() + b"\xff\xfe\n",
    "ops-truncated.jsonl.gz": gzip.compress(GOOD_OPS.encode())[:40],
    "ops-huge.jsonl": GOOD_OPS.replace("[4, 8]", "[4000000000, 8000000000]")
    .replace('"m": 4', '"m": 4000000000')
    .replace('"k": 8', '"k": 8000000000'),
    "ops-bad.yaml": "name: t\nops: [unclosed\n",
    "ops-list.yaml": "- 1\n- 2\n",
    "ops.parquet": b"PAR1 this is not a parquet file PAR1",
    "bad.yaml": "name: x\nhost: [unclosed\n",
    "empty.yaml": "",
    "list.yaml": "- 1\n- 2\n",
    "scalar.yaml": "42\n",
    "notutf8.yaml": NOT_UTF8,
    "tabs.yaml": "name: x\n\thost: 1\n",
    "unknown-field.yaml": "base: hbm2-pim\nbogus: 1\n",
    "sys-unknown-base.yaml": "name: x\nmemory: {base: no-such-memory}\n",
    "sys-wrong-type.yaml": "name: x\nmemory: {base: hbm2, organization: {stacks: many}}\n",
    "sys-huge-stacks.yaml": "name: x\nmemory: {base: hbm2, organization: {stacks: 1e12}}\n",
    "sys-neg-stacks.yaml": "name: x\nmemory: {base: hbm2, organization: {stacks: -1}}\n",
    "sweep-empty-grid.yaml": SWEEP + "  workload.m: []\n",
    "sweep-range-empty.yaml": SWEEP + "  workload.m: {start: 100, stop: 10, step: 1}\n",
    "sweep-range-huge.yaml": SWEEP + "  workload.m: {start: 1, stop: 1e15, step: 1}\n",
    "sweep-range-nan.yaml": SWEEP + "  workload.m: {start: 1, stop: .nan, step: 1}\n",
    "sweep-seeds-neg.yaml": SWEEP + "  workload.m: [64]\nseeds: [-1]\n",
    "sweep-unknown-system.yaml": SWEEP.replace("hbm2-pim", "no-such-system")
    + "  workload.m: [64]\n",
    "sweep-unknown-param.yaml": SWEEP + "  bogus.field: [1, 2]\n",
    "sweep-nan.yaml": SWEEP + "  workload.m: {dist: uniform, low: .nan, high: 10}\n",
    "sweep-inf.yaml": SWEEP + "  workload.m: {dist: loguniform, low: 1, high: .inf}\n",
    "sweep-huge.yaml": SWEEP
    + "  host_link.width: [" + ", ".join(str(64 * i) for i in range(1, 41)) + "]\n"
    + "  workload.m: [" + ", ".join(str(64 * i) for i in range(1, 201)) + "]\n"
    + "  workload.k: [" + ", ".join(str(64 * i) for i in range(1, 201)) + "]\n"
    + "  seed: [" + ", ".join(str(i) for i in range(100)) + "]\n",
    "sweep-samples-huge.yaml": SWEEP.replace("grid", "random")
    + "  workload.m: {dist: uniform, low: 64, high: 4096, integer: true}\nsamples: 100000000\n",
    "sweep-bad-method.yaml": SWEEP.replace("grid", "exhaustive") + "  workload.m: [64]\n",
    "sweep-notutf8.yaml": NOT_UTF8,
    "sweep-all-fail.yaml": SWEEP + "  workload.m: [-64, -128]\n",
    "requests.csv": "arrival_s,prompt_tokens,output_tokens\n0.0,10,5\n0.1,abc,5\n",
    "requests-empty.csv": "",
    "requests-header.csv": "arrival_s,prompt_tokens,output_tokens\n",
    "requests-neg.csv": "arrival_s,prompt_tokens,output_tokens\n0.0,-10,5\n",
    "requests.jsonl": '{"arrival_s": 0.0, "prompt_tokens": 10, "output_tokens": 5}\n{bad\n',
    "requests-notutf8.csv": b"arrival_s,prompt_tokens,output_tokens\n\xff,1,1\n",
    "requests.parquet": b"PAR1 junk PAR1",
    "weights-1d.npy": _npy(np.ones(8)),
    "weights-nan.npy": _npy(np.full((8, 8), np.nan)),
    "weights-str.npy": _npy(np.full((8, 8), "a")),
    "weights-bool.npy": _npy(np.ones((8, 8), dtype=bool)),
    "junk.npy": b"not a numpy file",
    "matrix-rect.npy": _npy(np.ones((4, 3))),
    "matrix-singular.npy": _npy(np.zeros((4, 4))),
    "matrix-illcond.npy": _npy(np.diag([1.0, 1e-12, 1.0, 1.0])),
    "matrix-inf.npy": _npy(np.diag([1.0, np.inf, 1.0, 1.0])),
    "device-bad.yaml": "name: d\ngmax: lots\n",
    "device-neg.yaml": "name: d\ngmax: -25uS\ngmin: 0uS\n",
    "periphery-bad.yaml": "name: p\nadc_bits: many\n",
    "circuit-bad.yaml": "name: c\ngbw: fast\n",
    "circuit-neg.yaml": "name: c\ngbw: -100MHz\n",
    "energy-bad.yaml": "name: e\nhost: {mac: {fp16: {energy: lots}}}\n",
    "cmd-empty.log": "",
    "cmd-header-only.log": LOG_HEAD,
    "cmd-truncated.log": LOG_HEAD + "10 ACT 0 0 0 0 5 -1\n20 RD 0 0 0 0 5 0\n",
    "cmd-count-wrong.log": LOG_HEAD + "10 ACT 0 0 0 0 5 -1\n# end: 7 commands\n",
    "cmd-garbage.log": "this is not a command log\n",
    "cmd-notutf8.log": b"\xff\xfe\xfd\n",
    "model.onnx": b"not an onnx model",
    "factory.py": "def make():\n    return 42\n",
    "broken.py": "def make(:\n",
    "results.duckdb": b"not a duckdb file",
    "run-out/placeholder": "",
}


@dataclass
class Case:
    id: str
    args: list[str]
    expect: tuple[str, ...] = ()  # each must appear in the message
    codes: tuple[int, ...] = (2,)
    files: dict[str, bytes | str] = field(default_factory=dict)


def _c(id: str, args: str | list[str], *expect: str, codes=(2,)) -> Case:
    argv = args.split() if isinstance(args, str) else args
    return Case(id, argv, expect, codes)


CASES: list[Case] = []
add = CASES.append

# -- every command without arguments, unknown commands and options ------------------------------
for cmd in ("replay", "check-log", "reprice", "sweep", "report", "serve"):
    add(_c(f"{cmd}-no-args", cmd, "Missing"))
for cmd in ("run", "replay", "check-log", "reprice", "sweep", "report", "serve", "validate",
            "presets", "warmup"):  # fmt: skip
    add(_c(f"{cmd}-unknown-option", f"{cmd} --bogus", "--bogus"))
add(_c("unknown-command", "simulate", "simulate"))
add(_c("presets-unknown-kind", "presets gadgets", "gadgets"))
add(_c("trace-unknown", "trace frobnicate", "frobnicate"))
add(_c("trace-gen-unknown", "trace gen fft --n 4", "fft"))
add(_c("analog-unknown", "analog cool", "cool"))

# -- run ------------------------------------------------------------------------------------------
for name in ("bad.yaml", "empty.yaml", "list.yaml", "scalar.yaml", "notutf8.yaml", "tabs.yaml",
             "unknown-field.yaml", "sys-unknown-base.yaml", "sys-wrong-type.yaml",
             "sys-huge-stacks.yaml", "sys-neg-stacks.yaml", "missing.yaml"):  # fmt: skip
    add(_c(f"run-system-{name}", f"run {name}", name))
    add(_c(f"replay-system-{name}", f"replay {name} good.trace", name))
add(_c("run-system-dir", "run run-out", "run-out"))
add(_c("run-system-unknown", "run hbm9-pim", "hbm9-pim"))
add(_c("run-system-dram-only", "run hbm2", "hbm2"))
for name in ("ops-header-only.jsonl", "ops-empty.jsonl", "ops-badjson.jsonl:2",
             "ops-version-str.jsonl", "ops-version-9.jsonl", "ops-noformat.jsonl",
             "ops-unknown-kind.jsonl", "ops-missing-tensor.jsonl", "ops-negative-shape.jsonl",
             "ops-string-shape.jsonl", "ops-array.jsonl:2", "ops-notutf8.jsonl",
             "ops-truncated.jsonl.gz", "ops-bad.yaml", "ops-list.yaml", "ops.parquet",
             "missing.jsonl", "ops-huge.jsonl", "good.trace"):  # fmt: skip
    fname = name.split(":")[0]
    add(_c(f"run-workload-{fname}", f"run hbm2-pim -w {fname}", name))
add(_c("run-workload-unknown", "run hbm2-pim -w llama9", "llama9"))
add(_c("run-workload-dir", "run hbm2-pim -w run-out", "run-out"))
for value, expect in (("abc", "--seed"), ("1.5", "--seed"), ("-1", "--seed"),
                      ("99999999999999999999999", "--seed")):  # fmt: skip
    add(_c(f"run-seed-{value[:8]}", f"run hbm2-pim --seed {value}", expect))
add(_c("run-fidelity", "run hbm2-pim --fidelity exact", "--fidelity"))
for item, expect in (
    ("host_link.width=true", "host_link.width"),
    ("host.clock=2", "host.clock"),
    ("host.clock=fast", "host.clock"),
    ("host.clock=-1GHz", "host.clock"),
    ("host.clock=1e400GHz", "host.clock"),
    ("host.clock=.nan", "host.clock"),
    ("host_link.bandwidth=100", "host_link"),
    ("memory.organization.stacks=1e12", "memory.organization.stacks"),
    ("memory.organization.stacks=0", "memory.organization.stacks"),
    ("memory.organization.stacks=two", "memory.organization.stacks"),
    ("memory.organization.stacks=1000000000000", "memory.organization.stacks"),
    ("memory.timing.tRC=-5", "memory.timing.tRC"),
    ("memory.timing.tCK=0", "memory.timing"),
    ("nosuch.field=1", "nosuch"),
    ("host=3", "host"),
    ("noequals", "--set"),
    ("=5", "--set"),
    ("host.clock=[1", "--set"),
):
    add(_c(f"run-set-{item}", ["run", "hbm2-pim", "--set", item], expect))
    add(_c(f"replay-set-{item}", ["replay", "hbm2", "good.trace", "--set", item],
           expect.split(".")[0]))  # fmt: skip
for opt in ("--json", "--timeline", "--command-log"):
    suffix = ".png" if opt == "--timeline" else ".json"
    add(_c(f"run{opt}-nodir", f"run hbm2-pim {opt} nodir/out{suffix}", opt, "nodir"))
    add(_c(f"run{opt}-dir", f"run hbm2-pim {opt} run-out", opt, "run-out"))
    add(_c(f"run{opt}-device", f"run hbm2-pim {opt} fifo", opt, "fifo"))
add(_c("run--timeline-suffix", "run hbm2-pim --timeline fig.xyz", "--timeline", "fig.xyz"))
add(_c("run--out-file", "run hbm2-pim --out good.trace", "--out", "good.trace"))
add(_c("run--out-nodir", "run hbm2-pim --out nodir/deeper", "--out", "nodir"))

# -- replay ---------------------------------------------------------------------------------------
for name, expect in (
    ("header-only.trace", "header-only.trace"),
    ("empty.trace", "empty.trace"),
    ("badop.trace", "badop.trace:4"),
    ("badaddr.trace", "badaddr.trace:3"),
    ("fields.trace", "fields.trace:3"),
    ("backwards.trace", "backwards.trace:4"),
    ("negative.trace", "negative.trace:3"),
    ("far.trace", "far.trace:4"),
    ("beyond.trace", "beyond.trace"),
    ("notutf8.trace", "notutf8.trace"),
    ("truncated.trace.gz", "truncated.trace.gz"),
    ("gzip-no-suffix.trace", "gzip-no-suffix.trace"),
    ("binary.trace", "binary.trace"),
    ("missing.trace", "missing.trace"),
    ("run-out", "run-out"),
):
    add(_c(f"replay-{name}", f"replay hbm2 {name}", expect))
add(_c("replay-ramulator-bad", "replay hbm2 ramulator-bad.trace --format ramulator",
       "ramulator-bad.trace:2"))  # fmt: skip
add(_c("replay-dramsim3-bad", "replay hbm2 dramsim3-bad.trace --format dramsim3",
       "dramsim3-bad.trace:2"))  # fmt: skip
add(_c("replay-format-wrong", "replay hbm2 good.trace --format ramulator", "good.trace:3"))
add(_c("replay-format-unknown", "replay hbm2 good.trace --format gem5", "--format"))
add(_c("replay-pim-system", "replay hbm2-pim-nope good.trace", "hbm2-pim-nope"))
for opt in ("--json", "--stats", "--command-log"):
    add(_c(f"replay{opt}-nodir", f"replay hbm2 good.trace {opt} nodir/x.json", opt, "nodir"))
    add(_c(f"replay{opt}-dir", f"replay hbm2 good.trace {opt} run-out", opt, "run-out"))
    add(_c(f"replay{opt}-device", f"replay hbm2 good.trace {opt} fifo", opt, "fifo"))
add(_c("replay-fail-no-log", "replay hbm2 badop.trace --command-log cmd.log", "badop.trace:4"))
add(_c("replay-fail-no-stats", "replay hbm2 badop.trace --stats s.json", "badop.trace:4"))

# -- check-log ------------------------------------------------------------------------------------
for name in ("cmd-empty.log", "cmd-garbage.log", "cmd-notutf8.log", "missing.log", "run-out",
             "good.trace", "cmd-header-only.log", "cmd-truncated.log",
             "cmd-count-wrong.log"):  # fmt: skip
    add(_c(f"check-log-{name}", f"check-log {name}", name, codes=(1, 2)))
add(_c("check-log-system", "check-log cmd-garbage.log --system hbm9", "cmd-garbage.log",
       codes=(1, 2)))  # fmt: skip

# -- reprice --------------------------------------------------------------------------------------
add(_c("reprice-missing-dir", "reprice nodir --energy-table hbm2-gpu", "nodir"))
add(_c("reprice-empty-dir", "reprice run-out --energy-table hbm2-gpu", "run-out"))
add(_c("reprice-file", "reprice good.trace --energy-table hbm2-gpu", "good.trace"))
add(_c("reprice-no-table", "reprice run-out", "--energy-table"))

# -- sweep and report -----------------------------------------------------------------------------
for name, expect in (
    ("sweep-empty-grid.yaml", "workload.m"),
    ("sweep-range-empty.yaml", "workload.m"),
    ("sweep-range-huge.yaml", "points"),
    ("sweep-range-nan.yaml", "workload.m"),
    ("sweep-seeds-neg.yaml", "seeds"),
    ("sweep-unknown-system.yaml", "no-such-system"),
    ("sweep-unknown-param.yaml", "bogus"),
    ("sweep-nan.yaml", "workload.m"),
    ("sweep-inf.yaml", "workload.m"),
    ("sweep-huge.yaml", "points"),
    ("sweep-samples-huge.yaml", "100,000,000 points"),
    ("sweep-bad-method.yaml", "method"),
    ("sweep-notutf8.yaml", "sweep-notutf8.yaml"),
    ("bad.yaml", "bad.yaml"),
    ("empty.yaml", "empty.yaml"),
    ("list.yaml", "list.yaml"),
    ("missing.yaml", "missing.yaml"),
):
    add(_c(f"sweep-{name}", f"sweep {name} --db s.duckdb", expect, name))
add(_c("sweep-unknown-preset", "sweep gemv-shapez", "gemv-shapez"))
for value in ("0", "-2", "abc", "100000"):
    add(_c(f"sweep-workers-{value}", f"sweep gemv-shapes --workers {value}", "--workers"))
add(_c("sweep-executor", "sweep gemv-shapes --executor slurm", "--executor"))
add(_c("sweep-scheduler-bad", "sweep gemv-shapes --executor dask --scheduler nowhere",
       "--scheduler"))  # fmt: skip
add(_c("sweep-db-nodir", "sweep gemv-shapes --db nodir/s.duckdb", "--db", "nodir"))
add(_c("sweep-db-dir", "sweep gemv-shapes --db run-out", "--db", "run-out"))
add(_c("sweep-db-notduckdb", "sweep gemv-shapes --db results.duckdb", "results.duckdb"))
add(_c("sweep-db-device", "sweep gemv-shapes --db fifo", "--db", "fifo"))
add(_c("sweep-plot-suffix", "sweep gemv-shapes --db s.duckdb --plot fig.xyz", "--plot", "fig.xyz"))
add(_c("sweep-plot-nodir", "sweep gemv-shapes --db s.duckdb --plot nodir/f.png", "--plot"))
add(_c("sweep-html-nodir", "sweep gemv-shapes --db s.duckdb --html nodir/r.html", "--html"))
add(_c("sweep-html-dir", "sweep gemv-shapes --db s.duckdb --html run-out", "--html"))
add(_c("sweep-export-suffix", "sweep gemv-shapes --db s.duckdb --export rows.xlsx", "--export"))
add(_c("sweep-export-nodir", "sweep gemv-shapes --db s.duckdb --export nodir/r.csv", "--export"))
for name in ("results.duckdb", "missing.duckdb", "run-out", "good.trace"):
    add(_c(f"report-{name}", f"report {name}", name))

# -- serve ----------------------------------------------------------------------------------------
SERVE = "serve hbm2-pim --requests 4 --no-baseline --no-cache"
for opt, value in (
    ("--rate", "abc"), ("--rate", "-1"), ("--rate", "0"), ("--rate", "nan"), ("--rate", "inf"),
    ("--rates", "1,x"), ("--rates", "1,-2"), ("--rates", ""), ("--requests", "0"),
    ("--requests", "-5"), ("--requests", "1e12"), ("--requests", "1000000000000"),
    ("--cv", "-1"), ("--cv", "nan"), ("--max-batch", "0"), ("--max-tokens", "-1"),
    ("--slo-ttft", "-1"), ("--slo-tpot", "nan"), ("--attainment", "2"), ("--attainment", "-0.5"),
    ("--prompt", "fixed:-1"), ("--prompt", "uniform:9:1"), ("--prompt", "gauss:1"),
    ("--output", "lognormal:x:1"), ("--arrival", "uniform"), ("--prefill", "sliced"),
    ("--preemption", "drop"), ("--table-format", "xlsx"), ("--model", "llama9"),
    ("--seed", "x"),
):  # fmt: skip
    add(_c(f"serve{opt}-{value or 'empty'}", [*SERVE.split(), "--rate", "1", opt, value], opt))
for name in ("requests.csv:3", "requests-empty.csv", "requests-header.csv", "requests-neg.csv:2",
             "requests.jsonl:2", "requests-notutf8.csv", "requests.parquet", "missing.csv",
             "run-out", "good.trace"):  # fmt: skip
    fname = name.split(":")[0]
    add(_c(f"serve-trace-{fname}", [*SERVE.split(), "--trace", fname], name))
add(_c("serve-no-rate", SERVE, "--rate"))
add(_c("serve-json-nodir", [*SERVE.split(), "--rate", "1", "--json", "nodir/s.json"], "--json"))
add(_c("serve-json-dir", [*SERVE.split(), "--rate", "1", "--json", "run-out"], "--json"))
add(_c("serve-out-file", [*SERVE.split(), "--rate", "1", "--out", "good.trace"], "--out"))
add(_c("serve-system", "serve hbm9 --rate 1", "hbm9"))
add(_c("serve-set", [*SERVE.split(), "--rate", "1", "--set", "host.clock=2"], "host.clock"))

# -- trace gen (memory) ---------------------------------------------------------------------------
for kind in ("stream", "random", "strided"):
    base = f"trace gen {kind} -o t.trace"
    for opt, value in (
        ("--requests", "0"), ("--requests", "-1"), ("--requests", "abc"),
        ("--requests", "100000000000"), ("--read-ratio", "1.5"), ("--read-ratio", "nan"),
        ("--span", "lots"), ("--span", "0B"), ("--span", "-1GiB"), ("--span", "1e30B"),
        ("--stride", "0B"), ("--line", "48B"), ("--line", "0B"), ("--base", "-64B"),
        ("--interval", "-1"), ("--format", "gem5"),
    ):  # fmt: skip
        if kind != "strided" and opt == "--stride":
            continue
        add(_c(f"gen-{kind}{opt}-{value}", [*base.split(), opt, value], opt))
add(_c("gen-stream-nodir", "trace gen stream --requests 10 -o nodir/t.trace", "nodir"))
add(_c("gen-stream-dir", "trace gen stream --requests 10 -o run-out", "run-out"))
add(_c("gen-stream-device", "trace gen stream --requests 10 -o fifo", "fifo"))
add(_c("gen-stream-no-output", "trace gen stream --requests 10", "--output"))
add(_c("gen-ramulator-interval", "trace gen stream -o t.trace --format ramulator --interval 5",
       "--interval"))  # fmt: skip

# -- trace gen (operators) ------------------------------------------------------------------------
for args, expect in (
    ("gemm --m 0 --n 4 --k 4", "m"), ("gemm --m 4 --n -4 --k 4", "n"),
    ("gemm --m abc --n 4 --k 4", "--m"), ("gemm --m 4 --n 4", "--k"),
    ("gemm --m 4 --n 4 --k 4 --dtype fp7", "fp7"),
    ("gemm --m 4 --n 4 --k 4 --weight-dtype q3", "q3"),
    ("gemm --m 4 --n 4 --k 4 --sparsity 1.5", "sparsity"),
    ("gemm --m 4 --n 4 --k 4 --sparsity 5:4", "sparsity"),
    ("gemm --m 4 --n 4 --k 4 --sparsity lots", "sparsity"),
    ("gemm --m 4 --n 4 --k 4 --group-size 32", "--group-size"),
    ("gemm --m 4 --n 4 --k 4 --weight-dtype int4 --group-size 0", "group"),
    ("gemm --m 4 --n 4 --k 4 --batch 0", "batch"),
    ("gemv --m 0 --k 4", "m"), ("gemv --m 4 --k 4 --batch -1", "batch"),
    ("conv --in-channels 0 --out-channels 4 --height 8", "in_channels"),
    ("conv --in-channels 4 --out-channels 4 --height 8 --kernel 0", "kernel"),
    ("conv --in-channels 4 --out-channels 4 --height 2 --kernel 9 --padding 0", "kernel"),
    ("conv --in-channels 4 --out-channels 6 --height 8 --groups 4", "groups"),
    ("conv --in-channels 4 --out-channels 4 --height 8 --stride 0", "stride"),
    ("conv --in-channels 4 --out-channels 4 --height 8 --dilation 0", "dilation"),
    ("attention --heads 0 --head-dim 64 --q-len 1", "heads"),
    ("attention --heads 8 --head-dim 64 --q-len 1 --kv-heads 3", "kv_heads"),
    ("attention --heads 8 --head-dim 64 --q-len 1 --cache-len -1", "cache_len"),
    ("attention --heads 8 --head-dim 64 --q-len 1 --kv-dtype fp7", "fp7"),
    ("llm --model llama9", "llama9"), ("llm --model gpt2 --phase train", "phase"),
    ("llm --model gpt2 --batch 0", "batch"), ("llm --model gpt2 --context -1", "context"),
    ("llm --model gpt2 --tokens 0", "tokens"),
    ("encoder --model bert-huge", "bert-huge"), ("encoder --model bert-base --seq 0", "seq"),
    ("encoder --model vit-b16 --image 15", "image"),
    ("cnn --model vgg", "vgg"), ("cnn --model resnet50 --image 0", "image"),
    ("cnn --model resnet50 --batch -1", "batch"),
    ("solve --n 0", "n"), ("solve --n 8 --matrix-kind random", "matrix"),
    ("solve --n 8 --condition 0.5", "condition"), ("solve --n 8 --tolerance -1", "tolerance"),
    ("solve --n 8 --rhs 0", "rhs"), ("solve --n 8 --tolerance nan", "tolerance"),
    ("regression --samples 0 --features 4", "samples"),
    ("regression --samples 4 --features 8 --ridge -1", "ridge"),
    ("regression --samples 8 --features 4 --matrix-kind sparse", "matrix"),
    ("pagerank --nodes 0", "nodes"), ("pagerank --nodes 16 --damping 1.5", "damping"),
    ("pagerank --nodes 16 --degree 0", "degree"), ("pagerank --nodes 16 --degree 99", "degree"),
    ("kalman --states 0 --measurements 2", "states"),
    ("kalman --states 4 --measurements 0", "measurements"),
):  # fmt: skip
    add(_c(f"gen-{args}", ["trace", "gen", *args.split()], expect))
for kind in ("gemv --m 4 --k 4", "solve --n 4"):
    add(_c(f"gen-{kind}-out-suffix", ["trace", "gen", *kind.split(), "-o", "t.xyz"], "t.xyz"))
    add(_c(f"gen-{kind}-out-nodir", ["trace", "gen", *kind.split(), "-o", "nodir/t.jsonl"],
           "nodir"))  # fmt: skip
    add(_c(f"gen-{kind}-out-dir", ["trace", "gen", *kind.split(), "-o", "run-out"], "run-out"))
    add(_c(f"gen-{kind}-json-nodir", ["trace", "gen", *kind.split(), "--json", "nodir/s.json"],
           "--json"))  # fmt: skip

# -- trace info, from-torch, from-onnx -----------------------------------------------------------
for name in ("ops-header-only.jsonl", "ops-badjson.jsonl:2", "ops-version-str.jsonl",
             "ops-notutf8.jsonl", "ops-truncated.jsonl.gz", "ops.parquet", "missing.jsonl",
             "header-only.trace", "empty.trace", "badop.trace:4", "notutf8.trace",
             "truncated.trace.gz", "gzip-no-suffix.trace", "run-out", "ops-bad.yaml"):  # fmt: skip
    fname = name.split(":")[0]
    add(_c(f"info-{fname}", f"trace info {fname}", name))
add(_c("info-json-nodir", "trace info good.jsonl --json nodir/s.json", "--json"))
add(_c("info-json-dir", "trace info good.jsonl --json run-out", "--json"))
add(_c("onnx-junk", "trace from-onnx model.onnx -o t.jsonl", "model.onnx"))
add(_c("onnx-missing", "trace from-onnx missing.onnx -o t.jsonl", "missing.onnx"))
add(_c("onnx-shape", "trace from-onnx model.onnx --input-shape x=a,b", "--input-shape"))
add(_c("torch-no-colon", "trace from-torch factory.py --input-shape 1,4", "factory.py"))
add(_c("torch-missing", "trace from-torch missing.py:make --input-shape 1,4", "missing.py"))
add(_c("torch-syntax", "trace from-torch broken.py:make --input-shape 1,4", "broken.py"))
add(_c("torch-no-factory", "trace from-torch factory.py:nope --input-shape 1,4", "nope"))
add(_c("torch-not-module", "trace from-torch factory.py:make --input-shape 1,4", "make"))
add(_c("torch-shape", "trace from-torch factory.py:make --input-shape 0,x", "--input-shape"))

# -- analog ---------------------------------------------------------------------------------------
for opt, value in (
    ("--inputs", "0"), ("--inputs", "-3"), ("--inputs", "abc"), ("--outputs", "0"),
    ("--batch", "0"), ("--seeds", "0"), ("--rows", "0"), ("--cols", "-1"),
    ("--t-inference", "-1"), ("--t-inference", "inf"), ("--t-inference", "nan"),
    ("--compensation", "local"), ("--adc-bits", "0"), ("--adc-bits", "64"),
    ("--device", "graphene"), ("--device", "device-bad.yaml"), ("--device", "device-neg.yaml"),
    ("--device", "notutf8.yaml"), ("--device", "missing.yaml"),
    ("--periphery", "fancy"), ("--periphery", "periphery-bad.yaml"),
    ("--periphery", "bad.yaml"), ("--weights", "weights-1d.npy"),
    ("--weights", "weights-nan.npy"), ("--weights", "weights-str.npy"),
    ("--weights", "weights-bool.npy"),
    ("--weights", "junk.npy"), ("--weights", "missing.npy"), ("--weights", "triangular"),
    ("--json", "nodir/m.json"), ("--json", "run-out"),
):  # fmt: skip
    expect = value if value.endswith((".yaml", ".npy")) else opt
    add(_c(f"mvm{opt}-{value}", ["analog", "mvm", "--inputs", "8", "--outputs", "8", "--batch", "2",
                                 "--seeds", "1", opt, value], expect))  # fmt: skip
add(_c("mvm-huge", "analog mvm --inputs 100000 --outputs 100000", "--inputs"))
add(_c("mvm-huge-batch", "analog mvm --inputs 64 --outputs 64 --batch 100000000", "--batch"))
add(_c("mvm-huge-seeds", "analog mvm --inputs 64 --outputs 64 --seeds 100000000", "--seeds"))
for opt, value in (
    ("--n", "0"), ("--n", "-4"), ("--n", "20000"), ("--n", "abc"), ("--kind", "random"),
    ("--gbw", "-1"), ("--gbw", "0"), ("--gbw", "nan"), ("--gain", "0"), ("--gain", "inf"),
    ("--device", "graphene"), ("--refine", "-1"), ("--refine", "100000000"),
    ("--circuit", "fancy"), ("--circuit", "circuit-bad.yaml"), ("--circuit", "circuit-neg.yaml"),
    ("--circuit", "notutf8.yaml"), ("--op", "invert"), ("--matrix", "matrix-rect.npy"),
    ("--matrix", "matrix-singular.npy"), ("--matrix", "matrix-illcond.npy"),
    ("--matrix", "matrix-inf.npy"), ("--matrix", "junk.npy"), ("--matrix", "missing.npy"),
    ("--matrix", "weights-1d.npy"), ("--json", "nodir/s.json"), ("--json", "run-out"),
):  # fmt: skip
    expect = value if value.endswith((".yaml", ".npy")) else opt
    add(_c(f"solve{opt}-{value}", ["analog", "solve", "--n", "8", opt, value], expect))
for opt, value in (
    ("--device", "graphene"), ("--device", ""), ("--ages", "1parsec"), ("--ages", "-1d"),
    ("--ages", ""), ("--temperature", "-300"), ("--temperature", "nan"), ("--rate", "-1"),
    ("--rate", "inf"), ("--policy", "sometimes"), ("--period", "soon"),
    ("--threshold", "-0.1"), ("--compensation", "local"), ("--periphery", "bad.yaml"),
    ("--inputs", "0"), ("--outputs", "0"), ("--json", "nodir/l.json"),
):  # fmt: skip
    expect = value if value.endswith(".yaml") else opt
    argv = ["analog", "lifetime", "--inputs", "8", "--outputs", "8", opt, value]
    add(_c(f"lifetime{opt}-{value or 'empty'}", argv, expect))
add(_c("lifetime-huge", "analog lifetime --inputs 100000 --outputs 100000", "--inputs"))
add(_c("lifetime-policy-period-missing", "analog lifetime --policy period", "--period"))
add(_c("lifetime-policy-accuracy-missing", "analog lifetime --policy accuracy", "--threshold"))

# -- validate -------------------------------------------------------------------------------------
add(_c("validate-json-nodir", "validate --quick --json nodir/v.json", "--json"))
add(_c("validate-json-dir", "validate --quick --json run-out", "--json"))

IDS = [c.id for c in CASES]
assert len(set(IDS)) == len(IDS), [i for i in IDS if IDS.count(i) > 1]


def _snapshot(root) -> dict[str, tuple[int, float]]:
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            p = os.path.join(dirpath, name)
            st = os.stat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    # A named pipe stands for "not a regular file" (a device such as /dev/full would do, but a
    # regressed writer running as root could replace the real device).
    os.mkfifo(root / "fifo")
    for name, content in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_bad_input(case: Case, corpus_dir, monkeypatch, capsys):
    monkeypatch.chdir(corpus_dir)
    monkeypatch.setenv("ARCHSIM_SERVE_CACHE", str(corpus_dir / ".cache"))
    monkeypatch.setenv("COLUMNS", "200")
    before = _snapshot(corpus_dir)
    dirs = _dirs(corpus_dir)
    try:
        _run_case(case, corpus_dir, before, capsys)
    finally:  # a failing case must not leave files that change the next one
        for path in set(_snapshot(corpus_dir)) - set(before):
            (corpus_dir / path).unlink()
        for path in sorted(_dirs(corpus_dir) - dirs, reverse=True):
            (corpus_dir / path).rmdir()


def _dirs(root) -> set[str]:
    return {os.path.relpath(d, root) for d, _, _ in os.walk(root)}


def _run_case(case: Case, corpus_dir, before, capsys) -> None:
    start = time.perf_counter()

    def too_long(signum, frame):
        raise TimeoutError(f"{case.id}: still running after {LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.setitimer(signal.ITIMER_REAL, LIMIT_S)
    try:
        code = execute(case.args)  # an exception here is a traceback: the test fails with it
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    wall = time.perf_counter() - start
    out, err = capsys.readouterr()
    message = _squash(err + out)
    assert code in case.codes, f"exit {code} (silent acceptance?)\n{out}\n{err}"
    assert "Traceback" not in message
    for expected in case.expect:
        assert expected in message, f"{expected!r} not named in: {message}"
    after = _snapshot(corpus_dir)
    new = {p for p in after if p not in before and not p.startswith(".cache")}
    changed = {p for p in before if p in after and after[p] != before[p]}
    assert not new, f"files left behind: {sorted(new)}"
    assert not changed, f"inputs modified: {sorted(changed)}"
    assert wall < LIMIT_S, f"{wall:.1f} s"


def test_corpus_is_large_enough():
    assert len(CASES) >= 250


# -- the console entry point, as a subprocess (a few cases only: each starts an interpreter) ----


def _archsim(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "archsim", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_entry_point_one_line_and_exit_2(corpus_dir):
    run = _archsim("run", "hbm2-pim", "--set", "host.clock=2", cwd=corpus_dir)
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert "host.clock" in run.stderr and "Traceback" not in run.stderr
    assert lines[0].startswith("error:")


def test_version():
    run = _archsim("--version")
    assert run.returncode == 0
    assert re.fullmatch(r"archsim \d+\.\d+\.\d+\S*\n", run.stdout)
