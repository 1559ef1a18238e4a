"""Running a sweep: expand the spec, skip finished points, run the rest, store each at once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archsim.dse.executors import Executor, make_executor
from archsim.dse.point import Task, make_task
from archsim.dse.search import distributions, make_study, objective_values
from archsim.dse.spec import SweepSpec, load_sweep
from archsim.dse.store import ResultStore

Progress = Callable[[Task, dict | None], None]


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


def default_db(spec: SweepSpec) -> Path:
    return Path(f"{spec.name}.duckdb")


def _tasks(spec: SweepSpec, points: list[dict], start: int = 0) -> list[Task]:
    system, workload = spec.system_ref(), spec.workload_data()
    out = []
    for i, params in enumerate(points):
        for seed in spec.seeds:
            out.append(make_task(start + i, params, seed, system, workload, spec.fidelity))
    return out


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
    store = ResultStore(path)  # first: an incompatible file is refused before any cluster starts
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
        store.close()
        if own:
            runner.close()
    return outcome


def _record(store, spec, outcome, task, result, progress) -> None:
    store.write(spec.name, task, result)
    if result["status"] == "ok":
        outcome.ok += 1
    else:
        outcome.failed += 1
        reason = str(result.get("error"))
        outcome.errors[reason] = outcome.errors.get(reason, 0) + 1
    if progress:
        progress(task, result)


def _run(spec, tasks, runner, store, outcome, progress) -> dict[str, dict]:
    """Run tasks not yet done; returns the results by key (for the search)."""
    done = store.done(spec.name)
    outcome.total += len(tasks)
    todo = []
    for task in tasks:
        if task.key in done:
            outcome.skipped += 1
            if progress:
                progress(task, None)
        else:
            todo.append(task)
    results: dict[str, dict] = {}
    unique = list({t.key: t for t in todo}.values())  # one run for points that resolve alike
    for _ in range(len(todo) - len(unique)):  # the repeats count as skipped, for the progress
        outcome.skipped += 1
        if progress:
            progress(todo[0], None)
    for task in [t for t in unique if t.error is not None]:  # failed validation: no worker needed
        result = {"key": task.key, "status": "failed", "error": task.error, "wall_s": 0.0}
        results[task.key] = result
        _record(store, spec, outcome, task, result, progress)
    for task, result in runner.run([t for t in unique if t.error is None]):
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
        tasks = _tasks(spec, [dict(t.params) for t in trials], index)
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
