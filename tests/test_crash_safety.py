"""Crash safety of sweeps: a killed sweep leaves no process behind, and its temp files go at the
next start. (A killed worker losing no point, and identical rows across executors and worker
counts, are tested in test_dse_run.py.)"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from archsim.dse import executors


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, out, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may not reap orphans)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_killed_sweep_parent_leaves_no_process_behind(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "name: kill\nsystem: hbm2-pim\nworkload: {generator: gemv, m: 256, k: 256}\n"
        "parameters:\n  workload.m: [" + ", ".join(str(256 + 64 * i) for i in range(400)) + "]\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "archsim",
            "sweep",
            str(spec),
            "--workers",
            "2",
            "--db",
            str(tmp_path / "s.duckdb"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(workers) < 3:  # fork server + 2 workers
            time.sleep(0.2)
            workers = {p for p in _descendants(proc.pid) if _running(p)}
            assert proc.poll() is None, "the sweep ended before it could be killed"
        assert len(workers) >= 3, workers
        time.sleep(1.0)  # the workers are busy with points now
        workers = {p for p in _descendants(proc.pid) if _running(p)}
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(5)
        left = {p for p in workers if _running(p)}
        assert not left, f"processes still running 5 s after the sweep was killed: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in workers | _descendants(proc.pid):  # reparented ones are no descendants
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def test_a_killed_sweeps_timing_directory_goes_at_the_next_start():
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = int(done.stdout)  # a pid that has exited
    stale = Path(tempfile.gettempdir()) / f"{executors._SHARED_PREFIX}{dead}-test"
    stale.mkdir(exist_ok=True)
    (stale / "timings.bin").write_bytes(b"x")
    fresh = executors._shared_dir()
    try:
        assert not stale.exists()
        assert fresh.is_dir() and str(os.getpid()) in fresh.name
    finally:
        fresh.rmdir()


@pytest.mark.slow
def test_ctrl_c_says_what_was_saved_and_how_to_resume(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "name: intr\nsystem: hbm2-pim\nworkload: {generator: gemv, m: 256, k: 256}\n"
        "parameters:\n  workload.m: [" + ", ".join(str(256 + 64 * i) for i in range(400)) + "]\n"
    )
    db = tmp_path / "s.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "archsim", "sweep", str(spec), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not _descendants(proc.pid):
            time.sleep(0.2)
        time.sleep(2.0)  # some points done
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    text = " ".join((out + err).split())
    assert "interrupted:" in text and "run the same command again to resume" in text
    assert str(db) in text
