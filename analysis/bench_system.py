"""`archsim run` on the eight-GPU presets: Llama2-70B decode at batch 64 (target: under 10 s warm).

    python analysis/bench_system.py

Each case runs in a fresh process after one warm-up process (numba kernels compiled and cached),
so the figure is what a user's second `archsim run` costs: imports, configuration, costing every
op (DRAM programs and streams through the command kernel) and the engine. Prints wall and CPU
seconds per case and exits non-zero when a case misses the target.
"""

from __future__ import annotations

import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table

TARGET_S = 10.0
CODE = """
import sys, time
from archsim.config.presets import load_system, parse_assignments
from archsim.simulate import simulate
from archsim.workload.transformer import llm_workload
system, model, sets = sys.argv[1], sys.argv[2], sys.argv[5:]
batch, context = int(sys.argv[3]), int(sys.argv[4])
r = simulate(load_system(system, parse_assignments(sets)),
             llm_workload(model, "decode", batch=batch, context=context)).report
print(r.comparison.speedup if r.comparison else 1.0)
"""
CASES = [
    ("dgx-a100-hbm3", "llama2-70b", 64, 2048, []),
    ("dgx-attacc", "llama2-70b", 64, 2048, []),
    ("dgx-attacc", "llama2-70b", 64, 2048, ["pim.vectors_per_pass=8", "mapping.sub_batches=2"]),
    ("dgx-attacc", "gpt3-175b", 16, 1984, []),
]


def timed(case) -> tuple[float, float, str]:
    system, model, batch, context, sets = case
    wall = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CODE, system, model, str(batch), str(context), *sets],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - wall
    if proc.returncode:
        raise SystemExit(f"{case}: failed\n{proc.stderr}")
    usage = __import__("resource").getrusage(__import__("resource").RUSAGE_CHILDREN)
    return wall, usage.ru_utime + usage.ru_stime, proc.stdout.strip()


def main() -> None:
    timed(CASES[0])  # warm-up: compile the kernels into the cache
    table = Table(title="archsim run on eight-GPU presets (fresh process each, warm cache)")
    for col in ("system", "workload", "--set", "wall s", "CPU s", "speedup"):
        table.add_column(col)
    missed = []
    last_cpu = timed(CASES[0])[1]
    for case in CASES:
        wall, cpu_total, speedup = timed(case)
        cpu = cpu_total - last_cpu
        last_cpu = cpu_total
        system, model, batch, context, sets = case
        table.add_row(
            system,
            f"{model} decode b{batch} c{context}",
            " ".join(sets) or "-",
            f"{wall:.2f}",
            f"{cpu:.2f}",
            f"{float(speedup):.2f}x",
        )
        if cpu > TARGET_S:
            missed.append(case)
    Console(width=140).print(table)
    if missed:
        raise SystemExit(f"over {TARGET_S:.0f} s CPU: {missed}")


if __name__ == "__main__":
    main()
