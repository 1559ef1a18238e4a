"""Multi-objective search with optuna's NSGA-II sampler.

Why optuna and not pymoo: optuna has an ask/tell interface, so the points it proposes flow
through our own executors (process pool or Dask) and into the results store like grid points,
and a resumed search replays its seeded proposals and reads finished points from the store.
pymoo's algorithms drive the evaluation loop themselves.
"""

from __future__ import annotations

import math
from typing import Any

from archsim.dse.spec import Distribution, SweepSpec


def distributions(spec: SweepSpec) -> dict[str, Any]:
    """Each parameter's domain as an optuna distribution."""
    import optuna.distributions as d

    out: dict[str, Any] = {}
    for path, domain in spec.parameters.items():
        if isinstance(domain, Distribution) and domain.dist != "choice":
            assert domain.low is not None and domain.high is not None
            log = domain.dist == "loguniform"
            if domain.integer:
                out[path] = d.IntDistribution(int(domain.low), int(domain.high), log=log)
            else:
                out[path] = d.FloatDistribution(domain.low, domain.high, log=log)
        elif isinstance(domain, Distribution):
            out[path] = d.CategoricalDistribution(domain.choices or [])
        else:
            out[path] = d.CategoricalDistribution(spec.axis(path))
    return out


def make_study(spec: SweepSpec):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.NSGAIISampler(seed=spec.seed, population_size=max(spec.batch, 2))
    directions = ["minimize" if o.goal == "min" else "maximize" for o in spec.objectives]
    return optuna.create_study(directions=directions, sampler=sampler)


def objective_values(spec: SweepSpec, metrics: dict[str, Any] | None) -> list[float] | None:
    """The objectives of a finished point, or None if any is missing or not finite."""
    if metrics is None:
        return None
    values = []
    for objective in spec.objectives:
        value = metrics.get(objective.metric)
        if not isinstance(value, int | float) or not math.isfinite(value):
            return None
        values.append(float(value))
    return values
