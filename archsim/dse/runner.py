"""Running a sweep: expand the spec, skip finished points, run the rest, store each at once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archsim.dse.executors import Executor, make_executor
from archsim.dse.point import WORKLOAD_PARAM, Task, make_task
from archsim.dse.search import distributions, make_study, objective_values
from archsim.dse.spec import SweepSpec, load_sweep
from archsim.dse.store import ResultStore

Progress = Callable[[Task, dict | None], None]
# How often finished points are committed to the store. A commit costs 10-30 ms of the parent's
# time whatever its size, which on a small machine is taken from the workers. Points finished
# less than about this long ago (the executors wake the runner at this interval even when no
# point finishes) are lost only if the parent itself is killed; a dead worker loses nothing,
# and a resumed sweep runs those points again.
COMMIT_INTERVAL_S = 1.0


@dataclass
class SweepOutcome:
    """What a sweep did: counts, its store file, and the wall time."""

    name: str
    db: Path
    total: int = 0
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    wall_s: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    workers: set[str] = field(default_factory=set)  # host:pid of each worker that ran a point


def default_db(spec: SweepSpec) -> Path:
    return Path(f"{spec.name}.duckdb")


def _tasks(spec: SweepSpec, points: list[dict], start: int = 0) -> Iterator[Task]:
    """Resolve points as they are needed, so the first ones run while later ones resolve."""
    system, workload = spec.system_ref(), spec.workload_data()
    for i, params in enumerate(points):
        base = spec.workload_data(params[WORKLOAD_PARAM]) if WORKLOAD_PARAM in params else workload
        for seed in spec.seeds:
            yield make_task(start + i, params, seed, system, base, spec.fidelity)


def sweep(
    spec: SweepSpec | str,
    executor: str | Executor = "local",
    workers: int = 1,
    db: str | Path | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> SweepOutcome:
    """Run a sweep (a spec, a preset name or a YAML path) into a DuckDB results file."""
    spec = load_sweep(spec) if isinstance(spec, str) else spec
    spec.check_paths()
    path = Path(db) if db is not None else default_db(spec)
    existed = path.exists()
    # First: an incompatible file is refused before any cluster starts.
    store = ResultStore(path, commit_interval_s=COMMIT_INTERVAL_S)
    own = isinstance(executor, str)
    try:
        runner = make_executor(executor, workers, scheduler) if own else executor
    except BaseException:
        store.close()
        if not existed:  # leave no empty results file behind an unreachable scheduler
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)
        raise
    store.set_meta(f"sweep:{spec.name}", spec.model_dump_json())
    outcome = SweepOutcome(spec.name, path)
    start = time.perf_counter()
    try:
        if spec.method == "optuna":
            _search(spec, runner, store, outcome, progress)
        else:
            _run(spec, _tasks(spec, spec.points()), runner, store, outcome, progress)
    finally:
        outcome.wall_s = time.perf_counter() - start
        try:
            store.close()  # commits what is queued; may raise (a full disk)
        finally:
            if own:
                runner.close()  # the workers and their timing directory go whatever happened
    return outcome


def _record(store, spec, outcome, task, result, progress) -> None:
    store.write(spec.name, task, result)
    if "worker" in result:
        outcome.workers.add(result["worker"])
    if result["status"] == "ok":
        outcome.ok += 1
    else:
        outcome.failed += 1
        reason = str(result.get("error"))
        outcome.errors[reason] = outcome.errors.get(reason, 0) + 1
    if progress:
        progress(task, result)


def _run(spec, tasks: Iterable[Task], runner, store, outcome, progress) -> dict[str, dict]:
    """Run tasks not yet done; returns the results by key (for the search)."""
    done = store.done(spec.name)
    results: dict[str, dict] = {}

    def todo() -> Iterator[Task]:
        seen: set[str] = set()
        for task in tasks:
            outcome.total += 1
            if task.key in done or task.key in seen:  # finished, or resolves like an earlier point
                outcome.skipped += 1
                if progress:
                    progress(task, None)
                continue
            seen.add(task.key)
            if task.error is None:
                yield task
                continue
            # It failed validation: recorded at once, no worker needed.
            result = {"key": task.key, "status": "failed", "error": task.error, "wall_s": 0.0}
            results[task.key] = result
            _record(store, spec, outcome, task, result, progress)

    for finished in runner.run(todo(), tick_s=COMMIT_INTERVAL_S):
        if finished is None:  # no point finished for a while: commit what is queued
            store.flush_if_due()
            continue
        task, result = finished
        results[task.key] = result
        _record(store, spec, outcome, task, result, progress)
    return results


def _search(spec, runner, store, outcome, progress) -> None:
    """Ask optuna for ``batch`` trials, run them, tell results in trial order; repeat."""
    study = make_study(spec)
    dists = distributions(spec)
    names = [o.metric for o in spec.objectives]
    index = 0
    assert spec.samples is not None
    while index < spec.samples:
        trials = [study.ask(dists) for _ in range(min(spec.batch, spec.samples - index))]
        tasks = list(_tasks(spec, [dict(t.params) for t in trials], index))
        results = _run(spec, tasks, runner, store, outcome, progress)
        by_trial = [
            tasks[i * len(spec.seeds) : (i + 1) * len(spec.seeds)] for i in range(len(trials))
        ]
        for trial, group in zip(trials, by_trial, strict=True):
            values = []
            for task in group:
                result = results.get(task.key)
                got = (
                    objective_values(spec, result.get("metrics"))
                    if result
                    else store.metrics_of(task.key, names)
                )
                if got is None or any(v is None for v in got):
                    values = None
                    break
                values.append(got)
            if values:
                mean = [sum(v[j] for v in values) / len(values) for j in range(len(names))]
                study.tell(trial, mean)
            else:
                import optuna

                study.tell(trial, state=optuna.trial.TrialState.FAIL)
        index += len(trials)


def iter_rows(db: str | Path) -> Iterator[dict]:
    store = ResultStore(db, read_only=True)
    try:
        yield from store.rows()
    finally:
        store.close()


def spec_of(store: ResultStore, name: str) -> dict | None:
    text = store.meta(f"sweep:{name}")
    return json.loads(text) if text else None
