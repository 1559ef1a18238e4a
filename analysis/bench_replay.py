"""Trace-replay speed: 1,000,000 requests, stream and random, DDR4 and HBM2.

    python analysis/bench_replay.py [--requests N]

Times the whole replay (parsing a Ramulator-format trace file, decoding, the controller kernel,
statistics) after a warm-up run, reports the first-call JIT compile time separately (a fresh
numba cache dir is used for that one measurement), and the peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from archsim.system.replay import replay
from archsim.workload.memtrace import write_trace
from archsim.workload.memtrace_gen import MemoryTraceSpec, generate

CASES = [("ddr4-3200", "stream"), ("ddr4-3200", "random"), ("hbm2", "stream"), ("hbm2", "random")]


def compile_seconds() -> float:
    """Wall time of a first replay with an empty numba cache (in a fresh process)."""
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as work:
        trace = Path(work) / "t.trace"
        write_trace(trace, *generate(MemoryTraceSpec("random", 100, 1.0, 1 << 20)), "ramulator")
        code = (
            "import time; t=time.perf_counter();"
            "from archsim.system.replay import replay;"
            f"replay('ddr4-3200', {str(trace)!r}); print(time.perf_counter()-t)"
        )
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.requests
    table = Table(title=f"archsim replay speed, {n:,} requests (one run, after warm-up)")
    for col in ("system", "pattern", "wall s", "Mreq/s", "GB/s simulated", "row hits"):
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as work:
        for system, pattern in CASES:
            line = 64 if system.startswith("ddr4") else 32
            trace = Path(work) / f"{system}-{pattern}.trace"
            spec = MemoryTraceSpec(pattern, n, 1.0, 8 << 30, line_bytes=line, seed=1)
            write_trace(trace, *generate(spec), "ramulator")
            replay(system, trace)  # warm-up: loads the compiled kernels from the cache
            start = time.perf_counter()
            report = replay(system, trace).report
            wall = time.perf_counter() - start
            table.add_row(
                system,
                pattern,
                f"{wall:.2f}",
                f"{n / wall / 1e6:.2f}",
                f"{report.bandwidth_gbps:.1f}",
                f"{100 * report.row_hit_rate:.1f}%",
            )
    console = Console(width=120)
    console.print(table)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"peak resident memory: {peak_mb:.0f} MB")
    console.print(f"first-call JIT compile (empty numba cache): {compile_seconds():.1f} s")


if __name__ == "__main__":
    main()
