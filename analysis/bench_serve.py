"""Serving speed: requests served per second of simulator time, cold and warm.

For each stream size it serves a generated ShareGPT-like stream of the model on one side of
the system (default: the baseline, the 8-GPU preset's role) and reports the process CPU time
(one core) and the wall time:

* cold: a fresh iteration-cost cache, so every grid point the run visits is simulated
  (numba kernels already compiled, as in any second run of archsim);
* warm: the same stream again with the costs cached on disk.

Targets (issue 11): 1,000 requests of Llama 2 70B under 60 s, 100,000 under 10 minutes.
Run: python analysis/bench_serve.py [--system S] [--set path=value] [--sizes 1000,100000]
Writes analysis/bench_serve.json and docs/figures/bench-serve.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from archsim.config.presets import load_system, parse_assignments
from archsim.serving import cost
from archsim.serving.serve import serve, serve_config

TARGETS_S = {1000: 60.0, 100_000: 600.0}
ROOT = Path(__file__).resolve().parent.parent


def one(system, model, rate, n, cache_dir: Path) -> dict:
    cost._MODELS.clear()  # a new process's state: nothing memoized in memory
    import os

    os.environ["ARCHSIM_SERVE_CACHE"] = str(cache_dir)
    cfg = serve_config(model=model, rate=rate, requests=n)
    t0, c0 = time.perf_counter(), time.process_time()
    result = serve(system, cfg, baseline=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    s = result.sides[0].summary
    return {
        "requests": n,
        "wall_s": wall,
        "cpu_s": cpu,
        "iterations": s["iterations"],
        "simulations": s["cost_model"]["simulations"],
        "tokens_per_s": s["throughput"]["tokens_per_s"],
        "tpot_p99_s": s["latency_s"]["tpot"]["p99"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--system", default="hbm3-pim")
    ap.add_argument("--set", action="append", default=[], dest="sets")
    ap.add_argument("--side", choices=("baseline", "in_memory"), default="baseline")
    ap.add_argument("--model", default="llama2-70b")
    ap.add_argument("--rate", type=float, default=2.0)
    ap.add_argument("--sizes", default="1000,10000,100000")
    args = ap.parse_args()
    system = load_system(args.system, parse_assignments(args.sets))
    if args.side == "baseline" and system.pim is not None:
        system = system.baseline()
    # Warm the numba kernels outside the clock (a first run in a new tree compiles them).
    warm = serve_config(model=args.model, rate=1.0, requests=2, prompt="fixed:8", output="fixed:2",
                        cache=False)  # fmt: skip
    serve(system, warm, baseline=False)
    rows = []
    missed = []
    for n in [int(x) for x in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            cold = one(system, args.model, args.rate, n, Path(tmp))
            warm = one(system, args.model, args.rate, n, Path(tmp))
        target = TARGETS_S.get(n)
        rows.append({"cold": cold, "warm": warm, "target_s": target})
        verdict = "" if target is None else (" ok" if cold["cpu_s"] < target else " MISS")
        if target is not None and cold["cpu_s"] >= target:
            missed.append(f"{n:,} requests: {cold['cpu_s']:.1f} s CPU (target {target:g} s)")
        print(f"{n:>7} requests: cold {cold['cpu_s']:7.1f} s CPU ({cold['wall_s']:.1f} s wall,"
              f" {cold['simulations']} simulations), warm {warm['cpu_s']:7.1f} s CPU,"
              f" {cold['iterations']:,} iterations{verdict}")  # fmt: skip
    out = {"system": system.name, "model": args.model, "rate": args.rate, "runs": rows}
    (ROOT / "analysis" / "bench_serve.json").write_text(json.dumps(out, indent=2) + "\n")
    plot(out, ROOT / "docs" / "figures" / "bench-serve.png")
    print("all targets met" if not missed else "TARGETS MISSED: " + "; ".join(missed))
    return 1 if missed else 0


def plot(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["cold"]["requests"] for r in data["runs"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(n, [r["cold"]["cpu_s"] for r in data["runs"]], "o-", label="cold cost cache")
    ax.loglog(n, [r["warm"]["cpu_s"] for r in data["runs"]], "s-", label="warm cost cache")
    for size, target in TARGETS_S.items():
        ax.plot([size], [target], "rv", ms=9)
    ax.plot([], [], "rv", label="target (issue 11)")
    ax.set_xlabel("requests served")
    ax.set_ylabel("simulator CPU time, one core (s)")
    ax.set_title(f"archsim serve: {data['model']} on {data['system']}, {data['rate']:g} req/s")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
