"""Break-even: how many solves must share one programmed matrix before the closed loop wins.

For dense SPD systems (n, condition number) on ``closed-loop-rram``, one matrix programmed
(write-verify at the circuit's precision) then k right-hand sides, each settled and refined to
1e-6 (digital residuals costed). Against three digital ways to do the same k solves:

- ``host direct``: the run's baseline (archsim run's host model: one factorization, then k
  triangular solves at the host's peak FLOP/s, no kernel-launch latency);
- ``host CG`` and ``in-bank PIM CG``: float32 conjugate gradient per right-hand side to the
  loop's solution error or 1e-5, whichever is looser (favouring the digital side), with the
  circuit's per-iteration latency (``digital`` block of configs/circuits/default.yaml).

Prints the per-solve costs and the break-even k (time and energy), and draws the time per solve
against k for n = 256, condition 100, plus break-even k against the condition number.

    python analysis/plot_breakeven.py [--out docs/figures/closed_loop_breakeven.png]
"""

from __future__ import annotations

import math
import sys

import numpy as np

import archsim.config  # noqa: F401  (config before the analog modules: import order)
from archsim.config.energy import EnergyTable
from archsim.config.presets import load_system, load_yaml_model
from archsim.pim.analog.closed_loop import residual_host, solve
from archsim.pim.analog.closed_loop_config import ClosedLoopConfig
from archsim.pim.analog.digital_solver import compare
from archsim.pim.analog.execute import closed_loop_programming
from archsim.pim.analog.presets import load_device, load_periphery
from archsim.simulate import run_side
from archsim.workload.solvers import make_matrix, solve_workload

SYSTEM = "closed-loop-rram"
TOLERANCE = 1e-6


def costs(n: int, condition: float, seed: int = 0) -> dict[str, tuple[float, float]]:
    """(fixed, per-solve) time in s and energy in pJ of each way, as name -> tuple of 4."""
    system = load_system(SYSTEM)
    pim = system.pim
    cfg = load_yaml_model(ClosedLoopConfig, "circuits", pim.closed_loop)
    wl = solve_workload(n, "spd", condition=condition, seed=seed, tolerance=TOLERANCE)
    (op,) = [o for o in wl.ops if o.kind == "solve"]
    a, b = make_matrix(op)
    r = solve(a, b[:, 0], cfg, load_device(pim.device), load_periphery(pim.periphery).adc, seed,
              digital=False, tolerance=TOLERANCE, host=residual_host(cfg, system),
              tile_rows=pim.rows)  # fmt: skip
    prog = closed_loop_programming(pim, op, r)
    per_e = r.energy_total_pj - r.energy_pj["programming"]
    out = {"closed loop": (prog.time_s, prog.energy_pj, r.settling_time_s + r.residual_time_s,
                           per_e)}  # fmt: skip
    table = load_yaml_model(EnergyTable, "energy", system.energy)
    pts = {}
    for k in (1, 1025):
        side = run_side(system.baseline(), solve_workload(n, "spd", rhs=k, condition=condition,
                                                          seed=seed), table).report  # fmt: skip
        pts[k] = (side.time_ns * 1e-9, side.energy_pj["total"])
    slope_t = (pts[1025][0] - pts[1][0]) / 1024
    slope_e = (pts[1025][1] - pts[1][1]) / 1024
    out["host direct"] = (pts[1][0] - slope_t, pts[1][1] - slope_e, slope_t, slope_e)
    # float32 CG cannot reach the loop's ~1e-7 on every matrix: it is credited with 1e-5.
    target = max(r.solution_error, 1e-5)
    for name, d in compare(a, b[:, 0], target, cfg.digital).items():
        label = "host CG" if name == "host_npu" else "in-bank PIM CG"
        out[label] = (0.0, 0.0, d["time_s"], d["energy_pj"])
    return out


def breakeven(closed: tuple, digital: tuple, energy: bool = False) -> float:
    """Smallest k with fixed + k·per of the closed loop below the digital way's (inf: never)."""
    i = 1 if energy else 0
    fixed = closed[i] - digital[i]
    gain = digital[2 + i] - closed[2 + i]
    if gain <= 0:
        return math.inf
    return max(1.0, math.ceil(fixed / gain))


def main(out: str | None = None) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = {}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    base = costs(256, 100.0)
    ks = np.logspace(0, 6, 61)
    for name, (ft, _fe, pt, _pe) in base.items():
        ax1.loglog(ks, (ft + ks * pt) / ks * 1e6, label=name)
    ax1.set_xlabel("solves per programmed matrix")
    ax1.set_ylabel("time per solve (µs)")
    ax1.set_title("n = 256, condition 100, to 1e-6, closed-loop-rram")
    ax1.legend()
    ax1.grid(True, which="both", alpha=0.3)
    conditions = (10.0, 100.0, 1000.0)
    for n in (64, 128, 256):
        row = []
        for c in conditions:
            cs = base if (n, c) == (256, 100.0) else costs(n, c)
            k_time = breakeven(cs["closed loop"], cs["host CG"])
            k_energy = breakeven(cs["closed loop"], cs["host CG"], energy=True)
            k_direct = breakeven(cs["closed loop"], cs["host direct"])
            results[(n, c)] = {"time_vs_cg": k_time, "energy_vs_cg": k_energy,
                               "time_vs_direct": k_direct,
                               **{f"{k}_per_solve_us": v[2] * 1e6 for k, v in cs.items()},
                               "programming_us": cs["closed loop"][0] * 1e6}  # fmt: skip
            row.append(k_time)
            print(f"n={n:4d} cond={c:6.0f}: programming {cs['closed loop'][0] * 1e6:8.1f} us;"
                  " per solve (us): "
                  + ", ".join(f"{k} {v[2] * 1e6:.3g}" for k, v in cs.items())
                  + f"; break-even vs host CG: {k_time} solves (time), {k_energy} (energy);"
                  f" vs host direct: {k_direct}")  # fmt: skip
        finite = [k if math.isfinite(k) else np.nan for k in row]
        ax2.semilogx(conditions, finite, "o-", label=f"n = {n}")
    ax2.set_xlabel("condition number")
    ax2.set_ylabel("break-even solves vs host CG (time)")
    ax2.set_title("solves per programmed matrix before the loop wins")
    ax2.legend()
    ax2.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    if out:
        fig.savefig(out, dpi=110)
    return results


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[args.index("--out") + 1] if "--out" in args else None)
