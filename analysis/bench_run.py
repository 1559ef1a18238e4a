"""`archsim run` wall time: the default, llama2-70b, and how it grows with model and context.

    python analysis/bench_run.py

Each figure is one run in a fresh process (so nothing is cached between them), after one
warm-up process that compiles the numba kernels into the cache.
"""

from __future__ import annotations

import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table

CODE = """
import time, sys
t = time.perf_counter()
from archsim.config.presets import load_system, parse_assignments
from archsim.simulate import simulate
from archsim.workload.presets import load_workload
system, model, context, sets = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
cfg = load_system(system, parse_assignments(sets))
wl = load_workload("llama2-7b-decode", model=model, context=context)
r = simulate(cfg, wl).report
print(time.perf_counter() - t, r.comparison.speedup)
"""

# hbm3-pim holds 80 GB like an H100; llama2-70b's 138 GB of fp16 weights need twice the stacks.
TWO_H100 = ["memory.organization.stacks=10", "host_link.width=10240"]


def timed(system: str, model: str, context: int, sets: list[str]) -> tuple[float, float, float]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CODE, system, model, str(context), *sets],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - start
    inner, speedup = (float(x) for x in out.stdout.split())
    return wall, inner, speedup


def main() -> None:
    timed("hbm2-pim", "llama2-7b", 128, [])  # warm-up: compiles the kernels into the cache
    rows = [
        ("hbm2-pim", "llama2-7b", 2048, []),
        ("hbm3-pim", "llama2-70b", 4096, TWO_H100),
        ("hbm2-pim", "llama2-13b", 2048, []),
        ("hbm2-pim", "llama2-7b", 512, []),
        ("hbm2-pim", "llama2-7b", 8192, []),
        ("hbm2-pim", "llama2-7b", 32768, []),
    ]
    table = Table(title="archsim run wall time (one process each, kernels cached)")
    for col in ("system", "workload", "context", "wall s", "in-process s", "speedup"):
        table.add_column(col, justify="right")
    for system, model, context, sets in rows:
        wall, inner, speedup = timed(system, model, context, sets)
        label = system + (" (10 stacks)" if sets else "")
        table.add_row(
            label,
            f"{model} decode",
            f"{context:,}",
            f"{wall:.2f}",
            f"{inner:.2f}",
            f"{speedup:.2f}x",
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
