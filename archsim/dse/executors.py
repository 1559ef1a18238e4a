"""Where points run: a local process pool (default) or a dask.distributed cluster.

Both take Tasks and yield (task, result) as each point finishes, in completion order; the
parent writes each result at once. Neither chooses seeds: a point's seed is in its Task.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Protocol

from archsim.dse.point import Task, run_task, warm_up
from archsim.engine import memo
from archsim.errors import ArchsimError

# Chunks kept in flight per worker: one running, one queued to hide the round trip.
IN_FLIGHT_PER_WORKER = 2
# Largest chunk of consecutive points sent to a worker at once. Neighbours in a grid often
# compile to the same PIM programs (a host parameter, or a size that rounds to the same tiles),
# which a worker times once and caches: dealt out one by one, or in chunks of 4, each worker
# timed many of them again (measured on bench_sweep: 15-40% more work per point with 2 workers).
# Chunks shrink towards the end so the workers finish together (guided self-scheduling,
# Polychronopoulos & Kuck, IEEE Trans. Computers 1987). Fewer, larger tasks also divide the Dask
# scheduler's per-task cost.
CHUNK = 16
# How long to wait for an existing Dask scheduler before saying it is unreachable.
SCHEDULER_TIMEOUT_S = 5
SINGLE_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)
# Worker housekeeping that costs CPU the points need: on a two-core machine the 10 ms sampling
# profiler and the 1 ms GIL monitor of every worker slow its points down (we time points
# ourselves). Used for the LocalCluster archsim starts; a cluster of your own keeps its config.
QUIET_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "200ms",
    "distributed.worker.memory.monitor-interval": "1s",
}
WORKER_DIED = "worker process died while running this point (killed, crashed, or out of memory)"


# What run() yields: a finished point, or None when ``tick_s`` passed with none finishing (so
# the caller can commit what it holds while a long point runs).
Finished = tuple[Task, dict] | None


class Executor(Protocol):
    def start(self) -> None: ...
    def run(self, tasks: Iterable[Task], tick_s: float | None = None) -> Iterator[Finished]: ...
    def close(self) -> None: ...


# How long a start-up ping holds a worker (long enough that the next ping needs another).
PING_HOLD_S = 0.5


def _ping() -> None:
    import time

    time.sleep(PING_HOLD_S)


def chunks(tasks: Iterable[Task], workers: int) -> Iterator[list[Task]]:
    """Consecutive points in chunks of up to ``CHUNK``: each an equal share of what is left
    among twice the workers, so they shrink once the last points are in sight."""
    pending = iter(tasks)
    lookahead = 2 * workers * CHUNK
    ahead: deque[Task] = deque()
    while True:
        ahead.extend(itertools.islice(pending, lookahead - len(ahead)))
        if not ahead:
            return
        size = min(CHUNK, -(-len(ahead) // (2 * workers)))
        yield [ahead.popleft() for _ in range(size)]


def run_chunk(tasks: list[Task]) -> list[dict]:
    return [run_task(t) for t in tasks]


_SHARED_PREFIX = "archsim-timings-"
# How often a worker checks that the sweep that started it is still there.
PARENT_POLL_S = 0.5


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now holds the number
        return False
    return True


def _clean_stale_shared() -> None:
    """Remove timing directories left by sweeps that were killed (their pid is gone)."""
    root = Path(tempfile.gettempdir())
    for d in root.glob(f"{_SHARED_PREFIX}*"):
        pid_text = d.name[len(_SHARED_PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _alive(int(pid_text)):
            shutil.rmtree(d, ignore_errors=True)


def _shared_dir() -> Path:
    """A directory for the workers' shared timings (archsim.engine.memo), removed at close;
    named by the sweep's pid, so the next sweep removes it if this one is killed."""
    _clean_stale_shared()
    return Path(tempfile.mkdtemp(prefix=f"{_SHARED_PREFIX}{os.getpid()}-"))


def exit_with_parent(parent: int) -> None:
    """Make this worker exit when the sweep process ``parent`` dies (a SIGKILLed sweep left its
    workers running for minutes). On Linux the kernel kills the worker when the process that
    forked it (the fork server, which exits with the sweep) dies; everywhere a daemon thread
    checks the sweep's pid every PARENT_POLL_S."""
    import signal
    import threading
    import time

    forked_by = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while True:
            if os.getppid() != forked_by or not _alive(parent):
                os._exit(3)
            time.sleep(PARENT_POLL_S)

    threading.Thread(target=watch, name="archsim-parent-watch", daemon=True).start()


def _worker_context():
    """Workers forked from a fork server that imported archsim and loaded the kernels once
    (``archsim.dse.preload``); spawned ones where there is no fork server (Windows). Not plain
    fork: forking a parent that holds a DuckDB connection and threads is unsafe."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["archsim.dse.preload"])
    return ctx


def prepare(shared: str | None, parent: int | None = None) -> None:
    """A worker's initializer: exit with the sweep, share timings, and warm up unless its fork
    server already did."""
    if parent is not None:
        exit_with_parent(parent)
    preload = sys.modules.get("archsim.dse.preload")
    if preload is not None and preload.WARM:
        memo.share(shared)
    else:
        warm_up(shared)


def _died(task: Task) -> dict:
    return {"key": task.key, "status": "failed", "error": WORKER_DIED, "wall_s": 0.0}


class LocalExecutor:
    """A ``ProcessPoolExecutor`` of workers forked warm from one fork server (see
    :func:`_worker_context`): a second worker costs a fork, not a second warm-up."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._shared = _shared_dir()

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        # One point per core: a worker whose BLAS / OpenMP pool spans every core makes two
        # workers 2.7x slower per point on two cores (measured). Spawned children inherit the
        # environment; setdefault leaves a user's own setting alone. Dask's nanny does the same.
        for var in SINGLE_THREAD_VARS:
            os.environ.setdefault(var, "1")
        return ProcessPoolExecutor(
            workers,
            mp_context=_worker_context(),
            initializer=prepare,
            initargs=(str(self._shared), os.getpid()),
        )

    def start(self) -> None:
        """Spawn and warm every worker now (benchmarks time the sweep without start-up)."""
        self._pool = self._pool or self._new_pool(self.workers)
        # Each ping holds its worker briefly, so the pool has to spawn all of them.
        for future in [self._pool.submit(_ping) for _ in range(self.workers)]:
            future.result()

    def run(self, tasks: Iterable[Task], tick_s: float | None = None) -> Iterator[Finished]:
        pending = chunks(tasks, self.workers)
        limit = self.workers * IN_FLIGHT_PER_WORKER
        self._pool = self._pool or self._new_pool(self.workers)
        running: dict[Future, list[Task]] = {}
        while True:
            while len(running) < limit:
                chunk = next(pending, None)
                if chunk is None:
                    break
                running[self._pool.submit(run_chunk, chunk)] = chunk
            if not running:
                return
            finished, _ = wait(running, timeout=tick_s, return_when=FIRST_COMPLETED)
            if not finished:
                yield None
                continue
            suspects: list[Task] = []
            for future in finished:
                chunk = running.pop(future)
                try:
                    yield from zip(chunk, future.result(), strict=True)
                except BrokenProcessPool:
                    suspects += chunk
            if suspects:
                # A worker died: every point in flight fails with the pool. Re-run each one alone
                # so only the point that kills its worker is recorded as failed.
                suspects += [t for chunk in running.values() for t in chunk]
                running.clear()
                self._pool.shutdown(wait=False, cancel_futures=True)
                yield from self._isolated(suspects)
                self._pool = self._new_pool(self.workers)

    def _isolated(self, tasks: list[Task]) -> Iterator[tuple[Task, dict]]:
        """Run points one at a time in a pool of one worker (a fresh one after each death)."""
        pool: ProcessPoolExecutor | None = None
        try:
            for task in tasks:
                pool = pool or self._new_pool(1)
                try:
                    yield task, pool.submit(run_task, task).result()
                except BrokenProcessPool:
                    yield task, _died(task)
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = None
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        shutil.rmtree(self._shared, ignore_errors=True)


class DaskExecutor:
    """A ``dask.distributed`` client: an existing scheduler, or a LocalCluster of N workers.

    A scheduler of your own is connected to at once (an unreachable one is an error before
    anything runs); a LocalCluster starts when the first point needs it, so a resumed sweep
    with every point done starts no cluster.
    """

    def __init__(self, workers: int, scheduler: str | None = None, processes: bool = True) -> None:
        self.workers = workers
        self._cluster = None
        self.client = None
        self._processes = processes
        # Workers of a cluster of your own may be on other hosts: they share nothing.
        self._shared = _shared_dir() if scheduler is None else None
        self._in_process = scheduler is None and not processes
        if scheduler is not None:
            from distributed import Client

            try:
                self.client = Client(scheduler, timeout=f"{SCHEDULER_TIMEOUT_S}s")
            except (OSError, TimeoutError) as exc:
                raise ArchsimError(
                    f"--scheduler {scheduler}: no Dask scheduler answered within"
                    f" {SCHEDULER_TIMEOUT_S} s ({type(exc).__name__}); start one with"
                    " `dask scheduler` and pass its tcp://host:port address"
                ) from None
            self._warm()

    def _warm(self) -> None:
        # Once per worker process: imports, the kernels from the cache, the shared timings.
        self.client.run(warm_up, str(self._shared) if self._shared else None)

    def _connect(self):
        """The client, starting the LocalCluster on first use."""
        if self.client is not None:
            return self.client
        import dask
        from distributed import Client, LocalCluster

        processes = self._processes
        extra = {"env": {v: "1" for v in SINGLE_THREAD_VARS}} if processes else {}
        # Nannies hand this configuration to the worker processes they start.
        with dask.config.set(QUIET_WORKERS):
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
                **extra,
            )
        self.client = Client(self._cluster, direct_to_workers=True)
        self._warm()
        return self.client

    def start(self) -> None:
        """Start (and warm) the workers now (benchmarks time the sweep without start-up)."""
        self._connect()

    def run(self, tasks: Iterable[Task], tick_s: float | None = None) -> Iterator[Finished]:
        pending = chunks(tasks, self.workers)
        first = next(pending, None)
        if first is None:
            return  # nothing to run: no cluster started, not even distributed imported
        pending = itertools.chain([first], pending)
        from distributed import wait as dask_wait
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        self._connect()
        futures: dict = {}
        # Like the local pool, a bounded window of chunks in flight (a 100k-point grid is never
        # 100k futures on the scheduler).
        for _ in range(self.workers * IN_FLIGHT_PER_WORKER):
            self._submit_next(pending, futures)
        while futures:
            try:
                done, _ = dask_wait(list(futures), timeout=tick_s, return_when="FIRST_COMPLETED")
            except TimeoutError:
                yield None
                continue
            for future in done:
                chunk = futures.pop(future)
                try:
                    results = list(zip(chunk, future.result(), strict=True))
                except (KilledWorker, FutureCancelledError):
                    # The chunk killed its workers: run its points one by one, so only the point
                    # that kills a worker is recorded as failed.
                    results = [(t, self._alone(t)) for t in chunk]
                self._submit_next(pending, futures)
                yield from results

    def _submit_next(self, pending, futures) -> None:
        chunk = next(pending, None)
        if chunk:
            key = f"points-{chunk[0].key}-{len(chunk)}"
            futures[self.client.submit(run_chunk, chunk, key=key, pure=False)] = chunk

    def _alone(self, task: Task) -> dict:
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        future = self.client.submit(run_task, task, key=f"point-{task.key}-alone", pure=False)
        try:
            return future.result()
        except (KilledWorker, FutureCancelledError):
            return _died(task)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
        if self._shared is not None:
            if self._in_process:
                memo.share(None)  # the workers were threads of this process
            shutil.rmtree(self._shared, ignore_errors=True)


def make_executor(
    kind: str, workers: int, scheduler: str | None = None, processes: bool = True
) -> Executor:
    if workers < 1:
        raise ArchsimError(f"--workers must be at least 1, not {workers}")
    if kind == "local":
        if scheduler is not None:
            raise ArchsimError("--scheduler needs --executor dask")
        return LocalExecutor(workers)
    if kind == "dask":
        return DaskExecutor(workers, scheduler, processes)
    raise ArchsimError(f"--executor must be local or dask, not {kind!r}")
