"""Accuracy and cost of a deployed crossbar over months and years of duty.

A weight matrix (Gaussian, ``inputs`` x ``outputs``) is programmed and then serves ``rate``
inferences per second (one MVM per inference reads every cell once) at ``temperature``. At each
deployment age the array is read ``since`` seconds after its last programming:

- **drift** (the device's model; PCM: aihwkit/Joshi 2020) and **relaxation** (RRAM), in time
  accelerated by Arrhenius at the operating temperature (device ``reliability`` block);
- **read disturb**: a relative conductance loss per read, reads = rate x since;
- **endurance and stuck cells**: every programming uses ``write_verify.iterations`` write cycles
  of each cell; the stuck-cell fraction grows linearly with the cycles used, by
  ``stuck_growth`` at the rated endurance;
- **recalibration**: ``compensation: global`` re-reads a known input at the age and rescales
  (aihwkit's global drift compensation), ``none`` does not;
- **reprogramming policy**: ``none``; ``period`` (rewrite every ``period``); ``accuracy`` (rewrite
  when the relative error reaches ``threshold``: the first time since programming, on a log
  grid (4 points per decade), where it does, found by bisection once per tenth of the
  endurance used).

Each rewrite is charged its write-verify time (the array serves nothing meanwhile: lost
availability) and energy. Per 1M inferences: inference energy (MVMs at the age's drive) plus
the rewrites' energy those inferences share, in J.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from archsim.errors import ArchsimError
from archsim.pim.analog.presets import load_device, tile_config
from archsim.pim.analog.tile import AnalogMatrix

POLICIES = ("none", "period", "accuracy")
BATCH = 32
# Times since programming at which the accuracy trigger is checked (1 min .. 10 y, 4 per decade).
_TRIGGER_GRID_S = np.logspace(math.log10(60.0), math.log10(3.156e8), 30)


@dataclass(frozen=True)
class LifetimePoint:
    device: str
    age_s: float
    since_programming_s: float
    programmings: int
    rel_error: float
    stuck_fraction: float
    endurance_used: float
    energy_j_per_1m: float
    inference_j_per_1m: float
    programming_j_per_1m: float
    availability_lost: float


def check_ages(ages_s: list[float]) -> list[float]:
    if not ages_s:
        raise ArchsimError("--ages: give at least one deployment age")
    for a in ages_s:
        if not math.isfinite(a) or a < 0:
            raise ArchsimError(f"--ages: {a!r} s is not a non-negative deployment age")
    return sorted(ages_s)


def _error(device: str, periphery: str, w: np.ndarray, x: np.ndarray, since: float,
           temperature_c: float, reads: float, stuck: float, compensation: str, seed: int,
           rows: int, cols: int) -> tuple[float, float]:  # fmt: skip
    """(relative error, inference energy pJ) of the matrix read ``since`` s after programming."""
    cfg = tile_config(
        device, periphery, None,
        {"stuck_on_rate": stuck / 2, "stuck_off_rate": stuck / 2} if stuck > 0 else None,
        t_inference=since, compensation=compensation, seed=seed, rows=rows, cols=cols,
        temperature_c=temperature_c, reads=reads,
    )  # fmt: skip
    m = AnalogMatrix(w, cfg)
    y = m.mvm(x)
    exact = x @ w
    return float(np.linalg.norm(y - exact) / np.linalg.norm(exact)), m.cost().total_pj


def lifetime(
    device: str,
    ages_s: list[float],
    *,
    periphery: str = "default",
    temperature_c: float = 25.0,
    rate_per_s: float = 100.0,
    policy: str = "none",
    period_s: float | None = None,
    threshold: float | None = None,
    compensation: str = "global",
    inputs: int = 256,
    outputs: int = 256,
    rows: int = 256,
    cols: int = 256,
    seed: int = 0,
) -> list[LifetimePoint]:
    """Accuracy and cost at each deployment age (see the module doc)."""
    ages = check_ages(list(ages_s))
    if policy not in POLICIES:
        raise ArchsimError(f"--policy: {policy!r} is not one of {', '.join(POLICIES)}")
    if policy == "period" and (period_s is None or period_s <= 0):
        raise ArchsimError("--period: a positive reprogramming period is needed with policy period")
    if policy == "accuracy" and (threshold is None or not 0 < threshold < 1):
        raise ArchsimError("--threshold: policy accuracy needs a relative error in (0, 1)")
    if rate_per_s <= 0:
        raise ArchsimError(f"--rate: must be positive inferences/s, got {rate_per_s}")
    if not -55 <= temperature_c <= 200:
        raise ArchsimError(f"--temperature: {temperature_c} C is outside -55..200 C")
    dev = load_device(device)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 17]))
    w = rng.standard_normal((inputs, outputs))
    x = rng.uniform(-1.0, 1.0, (BATCH, inputs))
    tile = tile_config(device, periphery, rows=rows, cols=cols)
    prog = AnalogMatrix(w, tile).programming()
    cycles = dev.write_verify.iterations
    endurance = dev.write_verify.endurance
    growth = dev.reliability.stuck_growth

    def state(programmings: int) -> tuple[float, float]:
        used = programmings * cycles / endurance if endurance else 0.0
        return used, min(growth * used, 1.0)

    def err_at(since: float, programmings: int) -> tuple[float, float]:
        _, stuck = state(programmings)
        return _error(device, periphery, w, x, since, temperature_c, rate_per_s * since,
                      stuck, compensation, seed, rows, cols)  # fmt: skip

    trigger: dict[int, float] = {}

    def accuracy_period(programmings: int) -> float:
        """Time since programming at which the error first reaches the threshold: a bisection
        over the log grid (the error grows with time), once per tenth of the endurance used."""
        key = int(state(programmings)[0] * 10)
        if key not in trigger:
            lo, hi = -1, len(_TRIGGER_GRID_S)  # error below threshold at lo, above at hi
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if err_at(float(_TRIGGER_GRID_S[mid]), programmings)[0] >= threshold:
                    hi = mid
                else:
                    lo = mid
            trigger[key] = float(_TRIGGER_GRID_S[hi]) if hi < len(_TRIGGER_GRID_S) else math.inf
        return trigger[key]

    points = []
    for age in ages:
        if policy == "none":
            count, since = 1, age
        elif policy == "period":
            count, since = 1 + int(age // period_s), age % period_s
        else:
            count, since, start = 1, age, 0.0
            while True:
                p = accuracy_period(count)
                if start + p > age or not math.isfinite(p):
                    since = age - start
                    break
                start += p + prog.time_s
                count += 1
        rel, infer_pj = err_at(since, count)
        used, stuck = state(count)
        period = (period_s if policy == "period"
                  else accuracy_period(count) if policy == "accuracy" else math.inf)  # fmt: skip
        served = rate_per_s * period  # inferences per programming
        prog_j = prog.energy_pj * 1e-12 * 1e6 / served if math.isfinite(served) else 0.0
        infer_j = infer_pj * 1e-12 * 1e6
        lost = prog.time_s / (period + prog.time_s) if math.isfinite(period) else 0.0
        points.append(LifetimePoint(
            device, age, since, count, rel, stuck, used, infer_j + prog_j, infer_j, prog_j, lost,
        ))  # fmt: skip
    return points


def as_rows(points: list[LifetimePoint]) -> list[dict]:
    return [asdict(p) for p in points]
