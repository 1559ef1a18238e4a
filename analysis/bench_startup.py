"""Speed a user feels: whole-process CPU and wall time of the commands people run from scripts.

    python analysis/bench_startup.py [--repeat 7] [--ramulator PATH] [--no-sweep]

Every figure is a whole process (interpreter start-up, imports, the work, exit), run from an empty
directory after one unmeasured run of the same command (numba kernels cached). CPU is user + sys
of the process and the children it waits for (``os.wait4``); medians of ``--repeat`` runs, and a
comparison alternates its two commands run by run (A B A B ...), so a machine whose load drifts
slows both alike. Targets (issue 16), checked on the medians; the script exits 1 if one is missed:

- ``archsim --help``: under 0.3 s CPU.
- ``archsim replay ddr4-3200 <100-request trace>``: under 0.6 s CPU.
- ``archsim run`` (the default job), run again once the kernels are cached: under 1.5 s wall.
- ``archsim sweep`` of 60 points (gemv-shapes): 2 workers not slower than 1 (wall), and both
  workers ran points; a resume with every point done under 2 s wall on the local executor and
  on Dask, whole process.
- 1,000,000 random DDR4 reads, whole process, against Ramulator 2 (``--ramulator`` its binary;
  same trace file, DDR4-3200AA 8Gb x8, one rank, Ramulator's RoBaRaCoCh mapping on both): at
  least 5x less CPU. Without the binary the last paired figure is printed with its date.

Nothing of Ramulator is part of archsim: the peer is run as an external program on a
configuration written here.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ARCHSIM = [sys.executable, "-m", "archsim"]

HELP_CPU_S = 0.3
REPLAY_100_CPU_S = 0.6
RUN_WALL_S = 1.5
RESUME_WALL_S = 2.0
PEER_RATIO = 5.0

# The last paired measurement against Ramulator 2, printed when no binary is given: (when,
# where, what), from this script run with the binary.
LAST_PEER = (
    "2026-12-06",
    "4 paired runs on the 2-core development machine, load average 1.0, Ramulator 2.0 at be93be78"
    " built from its public source",
    "archsim 1.71 s CPU, Ramulator 2 11.88 s CPU on 1M random DDR4 reads, whole process: 7.0x"
    " less CPU (target 5x)",
)

RAMULATOR_CONFIG = """\
Frontend:
  impl: LoadStoreTrace
  path: {trace}
  clock_ratio: 1
MemorySystem:
  impl: GenericDRAM
  clock_ratio: 1
  DRAM:
    impl: DDR4
    org: {{preset: DDR4_8Gb_x8, channel: 1, rank: 1}}
    timing: {{preset: DDR4_3200AA}}
  Controller:
    impl: Generic
    Scheduler: {{impl: FRFCFS}}
    RefreshManager: {{impl: AllBank}}
    RowPolicy: {{impl: OpenRowPolicy}}
    plugins: []
  AddrMapper: {{impl: RoBaRaCoCh}}
"""

ARCHSIM_PEER_SYSTEM = """\
name: ddr4-3200-robaracoch
description: ddr4-3200 with Ramulator 2's RoBaRaCoCh address mapping, for the paired benchmark
memory:
  base: ddr4-3200
  controller: {address_mapping: row-bank-rank-column-channel}
"""


def measure(cmd: Sequence[str], cwd: Path, env: dict | None = None) -> tuple[float, float]:
    """(CPU s, wall s) of one whole process and the children it waited for."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            log.seek(0)
            raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{log.read().decode()[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall


def median_of(cmd: Sequence[str], cwd: Path, repeat: int) -> tuple[float, float]:
    measure(cmd, cwd)  # warm-up: page cache, numba cache
    runs = [measure(cmd, cwd) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def paired(a: Sequence[str], b: Sequence[str], cwd: Path, repeat: int) -> list[tuple]:
    """Runs A and B alternately; returns [(a_cpu, a_wall, b_cpu, b_wall), ...]."""
    measure(a, cwd)
    measure(b, cwd)
    return [(*measure(a, cwd), *measure(b, cwd)) for _ in range(repeat)]


def report(name: str, value: float, unit: str, target: str, ok: bool) -> bool:
    print(f"{name:58s} {value:8.3f} {unit:6s} target {target:12s} {'ok' if ok else 'MISSED'}")
    return ok


SWEEP_DRIVER = """
import json, sys, time
from archsim.dse import sweep
start = time.perf_counter()
out = sweep("gemv-shapes", sys.argv[1], workers=int(sys.argv[2]), db=sys.argv[3])
print(json.dumps({"wall": time.perf_counter() - start, "ok": out.ok, "skipped": out.skipped,
                  "workers": len(out.workers)}))
"""


def sweep_once(work: Path, executor: str, workers: int, db: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", SWEEP_DRIVER, executor, str(workers), str(db)],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - start, json.loads(proc.stdout.strip().splitlines()[-1])


def bench_sweeps(work: Path, repeat: int) -> bool:
    ok = True
    walls: dict[int, list[float]] = {1: [], 2: []}
    ran_both = True
    for rep in range(repeat):
        for workers in (1, 2):
            db = work / f"sweep-{rep}-{workers}.duckdb"
            wall, info = sweep_once(work, "local", workers, db)
            assert info["ok"] == 60, info
            walls[workers].append(wall)
            if workers == 2:
                ran_both &= info["workers"] == 2
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    ratios = sorted(a / b for a, b in zip(walls[1], walls[2], strict=True))
    print(
        f"  60-point sweep wall, medians of {repeat} paired runs: 1 worker {one:.2f} s,"
        f" 2 workers {two:.2f} s; 1w/2w per pair {ratios[0]:.2f}..{ratios[-1]:.2f}"
    )
    ok &= report("sweep gemv-shapes: 1-worker wall / 2-worker wall", one / two, "x", ">= 1.0",
                 one / two >= 1.0)  # fmt: skip
    ok &= report("sweep gemv-shapes: workers that ran points (2 asked)", 2 if ran_both else 1,
                 "", "2 every run", ran_both)  # fmt: skip
    done = work / "sweep-0-1.duckdb"
    for executor in ("local", "dask"):
        runs = [sweep_once(work, executor, 2, done) for _ in range(max(3, repeat // 2))]
        assert all(info["skipped"] == 60 and info["ok"] == 0 for _, info in runs)
        wall = statistics.median(w for w, _ in runs)
        ok &= report(f"sweep resume, every point done ({executor}), whole process", wall, "s wall",
                     f"< {RESUME_WALL_S}", wall < RESUME_WALL_S)  # fmt: skip
    return ok


def bench_peer(work: Path, ramulator: Path | None, repeat: int) -> bool:
    if ramulator is None:
        when, where, what = LAST_PEER
        print(f"  Ramulator 2: no binary given (--ramulator PATH); NOT measured now. Last paired"
              f" figure ({when}, {where}): {what}")  # fmt: skip
        return True
    trace = work / "random-1m.trace"
    subprocess.run(
        [*ARCHSIM, "trace", "gen", "random", "--requests", "1000000", "--span", "4GiB",
         "--format", "ramulator", "-o", str(trace)],
        cwd=work, check=True, capture_output=True,
    )  # fmt: skip
    config = work / "ramulator.yaml"
    config.write_text(RAMULATOR_CONFIG.format(trace=trace))
    system = work / "ddr4-3200-robaracoch.yaml"
    system.write_text(ARCHSIM_PEER_SYSTEM)
    ours = [*ARCHSIM, "replay", str(system), str(trace), "--json", str(work / "peer.json")]
    theirs = [str(ramulator), "-f", str(config)]
    runs = paired(ours, theirs, work, repeat)
    a = statistics.median(r[0] for r in runs)
    b = statistics.median(r[2] for r in runs)
    ratio = statistics.median(r[2] / r[0] for r in runs)
    today = time.strftime("%Y-%m-%d")
    print(
        f"  1M random DDR4 reads, whole process, {repeat} paired runs ({today}):"
        f" archsim {a:.2f} s CPU, Ramulator 2 {b:.2f} s CPU"
    )
    return report("Ramulator 2 CPU / archsim CPU (median of pairs)", ratio, "x",
                  f">= {PEER_RATIO}", ratio >= PEER_RATIO)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="measured runs per command")
    parser.add_argument("--ramulator", type=Path, help="a Ramulator 2 binary, for the pairing")
    parser.add_argument("--no-sweep", action="store_true", help="skip the sweep measurements")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"load average before: {load:.2f} on {os.cpu_count()} cores; {args.repeat} runs each")
    ok = True
    # As `pip install` does: archsim's bytecode is written once, so that a source checkout run
    # with PYTHONDONTWRITEBYTECODE set does not compile every module in every process (~0.1 s).
    package = importlib.util.find_spec("archsim").submodule_search_locations[0]
    compileall.compile_dir(package, quiet=1)
    with tempfile.TemporaryDirectory(prefix="archsim-bench-") as tmp:
        work = Path(tmp)
        trace = work / "r100.trace"
        subprocess.run(
            [*ARCHSIM, "trace", "gen", "random", "--requests", "100", "--format", "ramulator",
             "-o", str(trace)],
            cwd=work, check=True, capture_output=True,
        )  # fmt: skip
        # Compiles every kernel if the cache is cold (an archsim without `warmup` goes on: each
        # command's unmeasured first run then loads or compiles what it uses).
        subprocess.run([*ARCHSIM, "warmup"], cwd=work, check=False, capture_output=True)
        cpu, _ = median_of([*ARCHSIM, "--help"], work, args.repeat)
        ok &= report("archsim --help", cpu, "s CPU", f"< {HELP_CPU_S}", cpu < HELP_CPU_S)
        replay = [*ARCHSIM, "replay", "ddr4-3200", str(trace), "--json", str(work / "r.json")]
        cpu, _ = median_of(replay, work, args.repeat)
        ok &= report("archsim replay ddr4-3200 <100 requests>", cpu, "s CPU",
                     f"< {REPLAY_100_CPU_S}", cpu < REPLAY_100_CPU_S)  # fmt: skip
        cpu, wall = median_of([*ARCHSIM, "run", "--json", str(work / "run.json")], work,
                              args.repeat)  # fmt: skip
        print(f"  archsim run (default job): {cpu:.2f} s CPU")
        ok &= report("archsim run, kernels cached", wall, "s wall", f"< {RUN_WALL_S}",
                     wall < RUN_WALL_S)  # fmt: skip
        if not args.no_sweep:
            ok &= bench_sweeps(work, max(3, args.repeat // 2))
        ok &= bench_peer(work, args.ramulator, max(3, args.repeat // 2))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("all targets met" if ok else "TARGETS MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
