"""Running sweeps: determinism across executors, resume, failures, killed workers, the store."""

from __future__ import annotations

import duckdb
import pytest

from archsim.dse import SweepSpec, sweep
from archsim.dse.executors import CHUNK, DaskExecutor, chunks, make_executor
from archsim.dse.point import CRASH_NAME
from archsim.dse.store import ResultStore, StoreError
from archsim.errors import ArchsimError

GEMV = {"generator": "gemv", "m": 256, "k": 256}
PARAMS = {"workload.m": [256, 512, 1024], "host_link.width": [1024, 4096]}
VOLATILE = {"wall_s"}


def spec(**kw) -> SweepSpec:
    return SweepSpec(
        **{"name": "t", "system": "hbm2-pim", "workload": GEMV, "parameters": PARAMS, **kw}
    )


def rows(db) -> list[dict]:
    store = ResultStore(db, read_only=True)
    try:
        return [{k: v for k, v in r.items() if k not in VOLATILE} for r in store.rows()]
    finally:
        store.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    db = tmp_path_factory.mktemp("ref") / "ref.duckdb"
    outcome = sweep(spec(), "local", workers=1, db=db)
    assert outcome.ok == 6 and outcome.failed == 0
    return rows(db)


def test_two_local_workers_give_identical_rows(reference, tmp_path):
    sweep(spec(), "local", workers=2, db=tmp_path / "a.duckdb")
    assert rows(tmp_path / "a.duckdb") == reference


def test_dask_gives_identical_rows(reference, tmp_path):
    runner = DaskExecutor(1, processes=False)
    try:
        sweep(spec(), runner, db=tmp_path / "d.duckdb")
    finally:
        runner.close()
    assert rows(tmp_path / "d.duckdb") == reference


def test_metrics_differ_between_points(reference):
    times = {r["baseline.time_ns"] for r in reference}  # m and the link width both matter
    assert len(times) == len(reference)


def test_resume_skips_done_points(tmp_path):
    db = tmp_path / "r.duckdb"
    first = sweep(spec(parameters={"workload.m": [256, 512]}), db=db)
    assert first.ok == 2
    again = sweep(spec(parameters={"workload.m": [256, 512, 1024]}), db=db)
    assert again.skipped == 2 and again.ok == 1
    assert len(rows(db)) == 3


def test_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    db = tmp_path / "f.duckdb"
    outcome = sweep(spec(parameters={"pim.lanes": [16, 8], "workload.m": [256, 512]}), db=db)
    assert outcome.ok == 2 and outcome.failed == 2
    failed = [r for r in rows(db) if r["status"] == "failed"]
    assert all("pim.lanes" in r["error"] for r in failed)


def test_killed_worker_loses_nothing(tmp_path):
    db = tmp_path / "k.duckdb"
    s = spec(parameters={"workload.name": ["a", CRASH_NAME, "b", "c"]})
    outcome = sweep(s, "local", workers=2, db=db)
    assert outcome.ok == 3 and outcome.failed == 1
    by_name = {r["workload.name"]: r for r in rows(db)}
    assert by_name[CRASH_NAME]["status"] == "failed"
    assert "worker process died" in by_name[CRASH_NAME]["error"]
    assert all(by_name[n]["status"] == "ok" for n in "abc")


def test_a_crash_inside_a_chunk_fails_only_that_point(tmp_path):
    names = [f"p{i}" for i in range(11)]
    names.insert(5, CRASH_NAME)
    db = tmp_path / "c.duckdb"
    outcome = sweep(spec(parameters={"workload.name": names}), "local", workers=1, db=db)
    assert outcome.ok == 11 and outcome.failed == 1
    done = {r["workload.name"] for r in rows(db) if r["status"] == "ok"}
    assert done == set(names) - {CRASH_NAME}


@pytest.mark.parametrize("n", [1, 5, 16, 33, 100, 1000])
def test_chunks_keep_order_cap_size_and_shrink_at_the_end(n):
    out = list(chunks(range(n), workers=2))
    assert [t for c in out for t in c] == list(range(n))
    sizes = [len(c) for c in out]
    assert max(sizes) <= CHUNK
    assert sizes == sorted(sizes, reverse=True)  # guided: never larger than the one before
    assert sizes[-1] == 1


def test_a_batch_keeps_every_column_whatever_row_comes_first(tmp_path):
    from archsim.dse.point import Task

    db = tmp_path / "b.duckdb"
    store = ResultStore(db, commit_interval_s=3600)
    store.write("s", Task("k1", 0, {"x": "wide"}, 0), {"status": "failed", "error": "bad x"})
    store.write("s", Task("k2", 1, {"x": 2}, 0), {"status": "ok", "metrics": {"speed": 3.5}})
    store.close()
    got = {r["key"]: r for r in rows(db)}
    assert got["k2"]["speed"] == 3.5 and got["k2"]["x"] == "2"  # the column took text first
    assert got["k1"]["speed"] is None and '"wide"' in got["k1"]["point_params"]


def test_a_value_of_another_type_fails_its_point_not_the_sweep(tmp_path):
    db = tmp_path / "t.duckdb"
    outcome = sweep(spec(parameters={"host_link.width": [1024, "wide", 2048]}), db=db)
    assert outcome.ok == 2 and outcome.failed == 1
    got = rows(db)
    assert all(r["comparison.speedup"] is not None for r in got if r["status"] == "ok")
    (bad,) = [r for r in got if r["status"] == "failed"]
    assert "host_link.width" in bad["error"] and '"wide"' in bad["point_params"]


@pytest.mark.parametrize("order", [[0.5, "2:4", 0.75], ["2:4", 0.5, 0.75]])
def test_a_parameter_of_numbers_and_text_keeps_every_value(tmp_path, order):
    db = tmp_path / "p.duckdb"
    outcome = sweep(spec(parameters={"workload.prune": order}), db=db)
    assert outcome.ok == 3
    stored = sorted(r["workload.prune"] for r in rows(db))
    assert stored == ["0.5", "0.75", "2:4"]  # the column became text, whatever came first


def test_a_number_too_big_for_int64_fails_its_point_not_the_sweep(tmp_path):
    db = tmp_path / "big.duckdb"
    outcome = sweep(spec(parameters={"host_link.width": [1024, 2**64]}), db=db)
    assert outcome.ok + outcome.failed == 2 and len(rows(db)) == 2


def test_executors_wake_the_runner_while_a_long_point_runs():
    from archsim.dse.point import make_task

    heavy = {"generator": "attention", "heads": 32, "head_dim": 128, "q_len": 1, "kv_len": 1 << 17}
    task = make_task(0, {}, 0, "hbm2-pim", heavy, "fast")
    runner = make_executor("local", 1)
    try:
        seen = list(runner.run([task], tick_s=0.001))
    finally:
        runner.close()
    (finished,) = [s for s in seen if s is not None]
    assert None in seen and finished[1]["status"] == "ok"


def test_queued_rows_are_committed_by_reads_and_close(tmp_path):
    from archsim.dse.point import Task

    db = tmp_path / "q.duckdb"
    store = ResultStore(db, commit_interval_s=3600)
    ok = {"status": "ok", "metrics": {"a": 1.0}}
    store.write("s", Task("k1", 0, {"x": 1}, 0), ok)
    assert store.pending == 1
    assert [r["a"] for r in store.rows()] == [1.0]  # a read commits first
    store.write("s", Task("k2", 1, {"x": 2}, 0), {"status": "ok", "metrics": {"b": "text"}})
    store.write("s", Task("k1", 0, {"x": 1}, 0), {"status": "failed", "error": "boom"})
    store.close()
    got = {r["key"]: r for r in rows(db)}
    assert got["k1"]["status"] == "failed" and got["k1"]["a"] is None  # replaced, not duplicated
    assert got["k2"]["b"] == "text" and len(got) == 2


def test_incompatible_store_is_refused_and_untouched(tmp_path):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (name VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("CREATE TABLE points (key VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    con.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="schema version 0"):
        sweep(spec(), db=db)
    assert db.read_bytes() == before
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    with pytest.raises(StoreError, match="untouched"):
        ResultStore(junk)
    assert junk.read_text() == "not a database"


@pytest.mark.slow  # over 3 s: run by CI's slow stage
def test_unreachable_scheduler_errors_fast(tmp_path):
    import time

    start = time.perf_counter()
    with pytest.raises(ArchsimError, match="no Dask scheduler answered"):
        sweep(spec(), "dask", db=tmp_path / "u.duckdb", scheduler="tcp://127.0.0.1:9")
    assert time.perf_counter() - start < 15
    assert not (tmp_path / "u.duckdb").exists()


def test_export_parquet_and_csv(reference, tmp_path):
    import pyarrow.parquet as pq

    db = tmp_path / "e.duckdb"
    sweep(spec(parameters={"workload.m": [256, 512]}), db=db)
    store = ResultStore(db, read_only=True)
    store.export(tmp_path / "x.parquet")
    store.export(tmp_path / "x.csv")
    store.close()
    table = pq.read_table(tmp_path / "x.parquet")
    assert table.num_rows == 2 and "comparison.speedup" in table.column_names
    assert (tmp_path / "x.csv").read_text().count("\n") == 3


def test_optuna_search_is_deterministic(tmp_path):
    s = spec(
        method="optuna",
        samples=6,
        batch=3,
        seed=1,
        parameters={"workload.m": [256, 512, 1024, 2048], "host_link.width": [1024, 2048, 4096]},
        objectives=[
            {"metric": "in_memory.time_ns", "goal": "min"},
            {"metric": "comparison.energy_reduction", "goal": "max"},
        ],
    )
    sweep(s, db=tmp_path / "o1.duckdb")
    sweep(s, "local", workers=2, db=tmp_path / "o2.duckdb")
    a, b = rows(tmp_path / "o1.duckdb"), rows(tmp_path / "o2.duckdb")
    assert a == b and 1 <= len(a) <= 6
    again = sweep(s, db=tmp_path / "o1.duckdb")
    assert again.ok == 0 and again.skipped == 6


def test_ctrl_c_during_a_commit_waits_for_it(tmp_path):
    """Ctrl-C while the store commits is held until the commit is done: the rows are saved
    and the interrupt arrives right after (it once surfaced inside DuckDB as its own error)."""
    import os
    import signal

    from archsim.dse.point import Task

    db = tmp_path / "i.duckdb"
    store = ResultStore(db, commit_interval_s=3600)
    store.write("s", Task("k1", 0, {"x": 1}, 0), {"status": "ok", "metrics": {"speed": 1.0}})
    real = store.db

    class Interrupting:  # the connection, with Ctrl-C arriving as DuckDB takes the batch
        def __getattr__(self, name):
            return getattr(real, name)

        def register(self, name, table):
            os.kill(os.getpid(), signal.SIGINT)
            return real.register(name, table)

    store.db = Interrupting()
    with pytest.raises(KeyboardInterrupt):
        store.flush()
    store.db = real
    assert store.pending == 0  # committed before the interrupt was raised
    store.close()
    saved = ResultStore(db, read_only=True)
    assert [r["key"] for r in saved.rows()] == ["k1"]
    saved.close()
