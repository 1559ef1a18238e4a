"""The README's serving comparison: rate sweeps of `archsim serve --rates` side by side.

Each argument is ``LABEL=DIR:SIDE``: the ``sweep.json`` an ``archsim serve --rates ... --out
DIR`` run wrote, and which side of it (``baseline``, ``in_memory`` or ``system``). Draws
throughput and SLO attainment against the rate with each series' knee (the highest rate meeting
the SLO for the sweep's attainment target) and prints each series' numbers at its knee.

Run (after the two sweeps in README.md):
  python analysis/serve_knee.py "dgx-a100-hbm3=knee:baseline" "dgx-attacc=knee:in_memory" \
      "dgx-attacc, 8 vectors/pass=knee8:in_memory" --out docs/figures/serve-llama2-70b-dgx.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from archsim.serving.figures import max_rate_meeting, rate_sweep


def load(spec: str) -> tuple[str, list[tuple[float, dict]], float]:
    label, _, rest = spec.partition("=")
    where, _, side = rest.rpartition(":")
    data = json.loads((Path(where) / "sweep.json").read_text())
    points = [(run["config"]["rate"], run["sides"][side]) for run in data["runs"]]
    return label, points, data["attainment_target"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("series", nargs="+", help="LABEL=DIR:SIDE")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--title", default="Llama 2 70B, 1,000 ShareGPT-like requests")
    args = ap.parse_args()
    series, target = {}, 0.9
    for spec in args.series:
        label, points, target = load(spec)
        series[label] = points
    rate_sweep(series, args.out, target, args.title)
    for label, points in series.items():
        knee = max_rate_meeting(points, target)
        s = dict(points).get(knee)
        if s is None:
            print(f"{label}: no rate meets the SLO")
            continue
        lat, tco = s["latency_s"], s["tco"]
        print(
            f"{label}: max rate {knee:g} req/s, {s['throughput']['tokens_per_s']:,.0f} tok/s,"
            f" TPOT p50/p99 {1e3 * lat['tpot']['p50']:.1f}/{1e3 * lat['tpot']['p99']:.1f} ms,"
            f" TTFT p99 {lat['ttft']['p99']:.2f} s, attainment {s['slo']['attainment']:.1%},"
            f" {s['energy']['per_output_token_j']:.3f} J/token,"
            f" ${tco['cost_usd_per_1m_tokens']:.4f}/1M tokens,"
            f" {tco['gco2e_per_1m_tokens']:.1f} gCO2e/1M, capex ${tco['capex_usd']:,.0f}"
        )


if __name__ == "__main__":
    main()
