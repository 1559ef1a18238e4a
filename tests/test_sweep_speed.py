"""Sweep start-up: warm workers that all run points, and a resume that starts nothing."""

from __future__ import annotations

import time

import pytest

from archsim.dse import SweepSpec, sweep
from archsim.dse.executors import DaskExecutor, make_executor

GEMV = {"generator": "gemv", "m": 256, "k": 256}


def spec(points: int) -> SweepSpec:
    return SweepSpec(
        name="speed",
        system="hbm2-pim",
        workload=GEMV,
        parameters={"host_link.width": [1024 * (i + 1) for i in range(points)]},
    )


def test_both_local_workers_run_points(tmp_path):
    runner = make_executor("local", 2)
    try:
        runner.start()  # both workers up before the first point, as in a real sweep's first chunks
        outcome = sweep(spec(8), runner, db=tmp_path / "two.duckdb")
    finally:
        runner.close()
    assert outcome.ok == 8
    assert len(outcome.workers) == 2, outcome.workers


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    db = tmp_path_factory.mktemp("done") / "done.duckdb"
    outcome = sweep(spec(4), "local", workers=1, db=db)
    assert outcome.ok == 4
    return db


@pytest.mark.parametrize("executor", ["local", "dask"])
def test_resume_with_every_point_done_returns_at_once(finished, executor):
    start = time.perf_counter()
    outcome = sweep(spec(4), executor, workers=2, db=finished)
    wall = time.perf_counter() - start
    assert outcome.skipped == outcome.total == 4 and outcome.ok == 0
    assert outcome.workers == set()
    assert wall < 2.0, f"{executor}: a resume with nothing to run took {wall:.2f} s"


def test_dask_starts_no_cluster_when_nothing_is_left(finished):
    runner = DaskExecutor(2)
    try:
        sweep(spec(4), runner, db=finished)
        assert runner._cluster is None and runner.client is None
    finally:
        runner.close()
