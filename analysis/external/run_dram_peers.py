"""Run archsim-generated traces through DRAMsim3 and Ramulator 2 and record their figures.

The peers are built outside the project (see docs/validation.md): DRAMsim3 as a library driven
by a small measurement driver (/work/peers/drivers/ds3drive.cc) that admits requests in trace
order and stops when every request has completed, Ramulator 2 as its own binary. Nothing of
their code enters archsim; this script writes only their output figures, with each peer's
commit and configuration, to configs/validation/dram_peers.yaml, which the ``external`` DRAM
studies (archsim/system/dram_peers.py) compare archsim against.

    python analysis/external/run_dram_peers.py [--peers dramsim3,ramulator2] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

import yaml

from archsim.system.dram_peers import CASES, PEERS, trace_spec
from archsim.workload.memtrace import write_trace
from archsim.workload.memtrace_gen import generate

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "configs" / "validation" / "dram_peers.yaml"
PEER_ROOT = Path("/work/peers")


def _commit(repo: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _ini(case: dict, work: Path) -> Path:
    """The DRAMsim3 configuration: its shipped file with the case's edits."""
    text = (PEER_ROOT / "dramsim3" / "configs" / case["dramsim3"]["config"]).read_text()
    for key, value in case["dramsim3"].get("edits", {}).items():
        lines = []
        for line in text.splitlines():
            if line.split("=")[0].strip() == key:
                line = f"{key} = {value}"
            lines.append(line)
        text = "\n".join(lines) + "\n"
    path = work / (case["name"].replace(" ", "_").replace("/", "-") + ".ini")
    path.write_text(text)
    return path


def run_dramsim3(case: dict, trace: Path, work: Path) -> dict:
    out = work / ("ds3-" + case["name"].replace(" ", "_").replace("/", "-"))
    out.mkdir(exist_ok=True)
    run = subprocess.run(
        [str(PEER_ROOT / "drivers" / "ds3drive"), str(_ini(case, work)), str(trace), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def run_ramulator2(case: dict, trace: Path, work: Path) -> dict:
    cfg = dict(case["ramulator2"]["config"])
    cfg = json.loads(json.dumps(cfg).replace("TRACE", str(trace)))
    path = work / (case["name"].replace(" ", "_").replace("/", "-") + ".yaml")
    path.write_text(yaml.safe_dump(cfg))
    run = subprocess.run(
        [str(PEER_ROOT / "ramulator2" / "ramulator2"), "-f", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    # Its log lines (spdlog, "[time] [logger] [level] ...") share stdout with the stats YAML.
    text = "\n".join(ln for ln in run.stdout.splitlines() if not ln.startswith("["))
    stats = yaml.safe_load(text)
    return ramulator_figures(stats)


def ramulator_figures(stats: dict) -> dict:
    """Ramulator 2's figures: the memory system's request totals and the controllers'
    per-channel counters (``<name>_<channel>``) summed.

    Its standalone binary stops when the front end has sent the last request, so ``cycles``
    is the admission cycle of the last request (the queued tail, at most one queue of
    requests, is not included). Its ``num_read_reqs_<ch>`` counts every attempted send,
    refused ones included, so the reads are the memory system's ``total_num_read_requests``
    and the average read latency is the summed ``read_latency_<ch>`` (reads that completed)
    over them.
    """
    ms = stats["MemorySystem"]
    nodes = [v for k, v in ms.items() if k.startswith("Controller") and isinstance(v, dict)]

    def total(name: str) -> float:
        pat = re.compile(rf"^{name}_\d+$")
        return sum(float(v) for n in nodes for k, v in n.items() if pat.match(str(k)))

    reads = int(ms["total_num_read_requests"])
    return {
        "cycles": int(ms["memory_system_cycles"]),
        "reads": reads,
        "writes": int(ms["total_num_write_requests"]),
        "read_row_hits": int(total("read_row_hits")),
        "write_row_hits": int(total("write_row_hits")),
        "activations": None,
        "avg_read_latency": round(total("read_latency") / reads, 3) if reads else 0.0,
    }


RUNNERS = {"dramsim3": run_dramsim3, "ramulator2": run_ramulator2}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", default="dramsim3,ramulator2")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    peers = args.peers.split(",")
    data = yaml.safe_load(OUT.read_text()) if OUT.exists() else {"peers": {}, "results": {}}
    for peer in peers:
        info = dict(PEERS[peer])
        info["commit"] = _commit(PEER_ROOT / peer)
        data["peers"][peer] = info
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for case in CASES:
            if case["peer"] not in peers or (args.only and args.only not in case["name"]):
                continue
            spec = trace_spec(case)
            stem = case["name"].replace(" ", "_").replace("/", "-")
            trace = work / f"{stem}.trace"
            write_trace(trace, *generate(spec), case["trace_format"])
            figures = RUNNERS[case["peer"]](case, trace, work)
            figures["setup"] = {
                "peer_config": case[case["peer"]],
                "trace": case["trace"],
                "trace_format": case["trace_format"],
                "archsim_system": case["system"],
                "archsim_overrides": case["overrides"],
            }
            data["results"][case["name"]] = figures
            print(case["name"], json.dumps(figures), flush=True)
            OUT.parent.mkdir(exist_ok=True)
            OUT.write_text(yaml.safe_dump(data, sort_keys=True, width=100))


if __name__ == "__main__":
    main()
