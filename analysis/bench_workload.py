"""Operator-trace speed: generate and summarize Llama 2 70B decode (80 layers).

    python analysis/bench_workload.py [--repeat N]

Times, in one process after the imports: generating the decode graph (validation included),
summarizing it, and writing + reading it back as JSONL and Parquet; then the same job end to
end through the CLI (``archsim trace gen llm ... -o`` and ``archsim trace info``), process start
and imports included. The issue's budget is 2 s for generate + summarize.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from archsim.workload.formats import read_workload, write_workload
from archsim.workload.summary import summarize
from archsim.workload.transformer import llm_workload

BUDGET_S = 2.0


def _best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []
    gen_s, w = _best(lambda: llm_workload("llama2-70b", "decode", batch=1, context=4096),
                     args.repeat)  # fmt: skip
    sum_s, summary = _best(lambda: summarize(w), args.repeat)
    rows.append(("generate (in process)", gen_s))
    rows.append(("summarize (in process)", sum_s))
    unrolled_s, _ = _best(
        lambda: summarize(llm_workload("llama2-70b", "decode", context=4096, compact=False)), 1
    )
    rows.append(("generate + summarize, 80 layers unrolled", unrolled_s))
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".jsonl", ".parquet"):
            path = Path(tmp) / f"w{suffix}"
            t, _ = _best(lambda p=path: read_workload(write_workload(w, p) and p), args.repeat)
            rows.append((f"write + read {suffix}", t))
        trace = Path(tmp) / "l70.jsonl"
        cli = [sys.executable, "-m", "archsim", "trace"]
        wall = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(
                [
                    *cli,
                    "gen",
                    "llm",
                    "--model",
                    "llama2-70b",
                    "--phase",
                    "decode",
                    "--batch",
                    "1",
                    "--context",
                    "4096",
                    "-o",
                    str(trace),
                    "--json",
                    str(Path(tmp) / "s.json"),
                ],
                check=True,
                capture_output=True,
            )
            subprocess.run([*cli, "info", str(trace), "--json", str(Path(tmp) / "i.json")],
                           check=True, capture_output=True)  # fmt: skip
            wall.append(time.perf_counter() - t0)
        rows.append(("CLI gen + info, two processes (median of 3)", statistics.median(wall)))
    table = Table(title=f"llama2-70b decode, batch 1, context 4096: {summary['ops']} stored ops,"
                        f" {summary['executed_ops']:,} executed")  # fmt: skip
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for name, seconds in rows:
        table.add_row(name, f"{seconds:.4f}")
    console = Console()
    console.print(table)
    total = gen_s + sum_s
    ok = total < BUDGET_S
    console.print(f"generate + summarize: {total:.4f} s (budget {BUDGET_S} s): "
                  + ("[green]ok[/green]" if ok else "[red]over budget[/red]"))  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
