"""Batched decode on a GPU cluster with attention devices: speedup against batch size.

    python analysis/study_system_batch.py [--plot docs/figures/attacc_batch.png]

Llama2-70B decode at context 2048 on ``dgx-attacc`` (eight A100-class GPUs, tensor parallel,
each with an AttAcc-style attention device) against its baseline ``dgx-a100-hbm3``, at batch 1
to 256, for three designs of the attention device:

* ``as configured``: one input vector per weight read per bank (AttAcc's GEMV units);
* ``GQA-aware``: eight vectors per read (``pim.vectors_per_pass=8``): Llama2-70B's eight
  query heads per KV head share one read of the KV cache, as the GPU's tensor cores share it;
* ``GQA-aware + sub-batches``: the same with NeuPIMs' two interleaved sub-batches.

The cost policy decides per batch whether attention runs on the GPUs or the devices; the table
prints where it ran. Self-consistency study (no external reference here; the published AttAcc
and NeuPIMs comparisons are in ``archsim validate``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from archsim.config.presets import load_system, parse_assignments
from archsim.simulate import simulate
from archsim.workload.transformer import llm_workload

BATCHES = (1, 4, 16, 64, 256)
DESIGNS = {
    "as configured": [],
    "GQA-aware": ["pim.vectors_per_pass=8"],
    "GQA-aware + sub-batches": ["pim.vectors_per_pass=8", "mapping.sub_batches=2"],
}


def run(batches=BATCHES) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for design, sets in DESIGNS.items():
        cfg = load_system("dgx-attacc", parse_assignments(sets))
        rows = []
        for batch in batches:
            if batch == 1 and "mapping.sub_batches=2" in sets:
                continue  # one request cannot be split
            wl = llm_workload("llama2-70b", "decode", batch=batch, context=2048)
            start = time.process_time()
            result = simulate(cfg, wl)
            rep = result.report
            where = {
                unit
                for name, unit in result.in_memory.placement.unit.items()
                if name.startswith("layers.attention")
            }
            attention = sum(o.time_ns for o in rep.in_memory.ops if o.kind == "attention")
            base_attention = sum(o.time_ns for o in rep.baseline.ops if o.kind == "attention")
            rows.append(
                {
                    "batch": batch,
                    "attention_on": "devices" if where == {"memory"} else "GPUs",
                    "attention_ms": attention / 1e6,
                    "gpu_attention_ms": base_attention / 1e6,
                    "baseline_ms": rep.baseline.time_ns / 1e6,
                    "system_ms": rep.in_memory.time_ns / 1e6,
                    "speedup": rep.comparison.speedup,
                    "energy_reduction": rep.comparison.energy_reduction,
                    "cpu_s": time.process_time() - start,
                }
            )
        out[design] = rows
    return out


def plot(results: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for (design, rows), marker in zip(results.items(), "osD", strict=False):
        xs = [r["batch"] for r in rows]
        ax.plot(xs, [r["speedup"] for r in rows], marker=marker, label=design)
        for r in rows:
            if r["attention_on"] == "GPUs":
                ax.plot(
                    r["batch"],
                    r["speedup"],
                    marker=marker,
                    color="white",
                    markeredgecolor="grey",
                    zorder=3,
                )
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xticks(BATCHES, [str(b) for b in BATCHES])
    ax.set_xlabel("batch size (requests per decode step)")
    ax.set_ylabel("speedup over dgx-a100-hbm3 (x)")
    ax.set_title(
        "Llama2-70B decode, context 2048, 8 GPUs (TP 8) with attention devices", fontsize=10
    )
    ax.grid(alpha=0.3)
    ax.legend(
        title="attention device (hollow: attention stays on the GPUs)", fontsize=8, title_fontsize=8
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", type=Path, help="write the speedup-vs-batch figure here")
    args = parser.parse_args()
    results = run()
    table = Table(title="Llama2-70B decode (context 2048): dgx-attacc vs dgx-a100-hbm3")
    for col in (
        "design",
        "batch",
        "attention on",
        "attention (ms, GPU / here)",
        "baseline ms",
        "system ms",
        "speedup",
        "energy",
        "CPU s",
    ):
        table.add_column(col, justify="right")
    for design, rows in results.items():
        for r in rows:
            table.add_row(
                design,
                str(r["batch"]),
                r["attention_on"],
                f"{r['gpu_attention_ms']:.2f} / {r['attention_ms']:.2f}",
                f"{r['baseline_ms']:.2f}",
                f"{r['system_ms']:.2f}",
                f"{r['speedup']:.2f}x",
                f"{r['energy_reduction']:.2f}x",
                f"{r['cpu_s']:.2f}",
            )
    Console(width=140).print(table)
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
