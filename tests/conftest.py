"""Shared fixtures: small traces and helpers for running the controller directly; the DRAM
kernel's first compile, overlapped with the tests that do not need it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import archsim
from archsim.config.presets import list_presets, load_system

ALL_SYSTEMS = list_presets("systems")
# DRAM-only presets (for replay and the timing studies) and full systems (for `archsim run`).
SYSTEMS = [n for n in ALL_SYSTEMS if load_system(n).host is None]
RUN_SYSTEMS = [n for n in ALL_SYSTEMS if load_system(n).host is not None]


@pytest.fixture(params=SYSTEMS)
def system(request):
    return load_system(request.param)


def addresses(cfg, pattern: str, n: int, seed: int = 0) -> np.ndarray:
    org = cfg.memory.organization
    if pattern == "stream":
        return np.arange(n, dtype=np.uint64) * np.uint64(org.line_bytes)
    rng = np.random.default_rng(seed)
    return rng.integers(0, org.capacity_bytes // org.line_bytes, n, dtype=np.uint64) * np.uint64(
        org.line_bytes
    )


# -- the DRAM kernel's cold compile, off the critical path --------------------------------------
# On a fresh clone numba compiles archsim.memory.kernel.run once, for 55-80 s on the 2-core
# development machine: a third of the default suite, on one core while the other idles. The
# session starts that compile in a background process at once and runs first the files below,
# which never run the kernel (in this process or a subprocess; checked by running them first
# with the kernel wrapped); before the first test of any other file it waits for the background
# process, and the kernel then loads from numba's cache. A file listed here by mistake still
# passes (its test compiles the kernel itself, a minute slower, and the session ends with a note
# naming it); a file missing from it just waits. With a warm cache the background process is
# done within 2 s.
KERNEL_FREE = frozenset(
    f"test_{name}.py"
    for name in (
        "analog_accuracy", "analog_cli", "analog_digits", "analog_lifetime", "analog_solver",
        "analog_tile", "analog_validation", "bad_input", "checker_rules", "citations",
        "command_stream", "config", "host", "jit", "layers", "link", "memo", "memtrace",
        "schemas", "serve_queueing", "tco_validation", "workload_cli", "workload_formats",
        "workload_importers", "workload_models", "workload_ops", "workload_properties",
        "workload_quantize",
    )
)  # fmt: skip
# The smallest run that compiles the kernel for the argument types every caller uses (as
# archsim.warmup does).
WARM_KERNEL = (
    "from archsim.simulate import simulate\n"
    "from archsim.workload.generators import gemv_workload\n"
    "simulate('hbm2-pim', gemv_workload(m=256, k=256))\n"
)
_warm: dict = {}


def pytest_configure(config):
    if config.option.collectonly or hasattr(config, "workerinput"):
        return
    # The same archsim as this process (the source tree, not an installed copy), so the same cache.
    root = str(Path(archsim.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-c", WARM_KERNEL],
        cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    _warm.update(proc=proc, log=log, stopped=False, test="collection", compiled_in=None)
    from numba.core import event

    class KernelCompile(event.Listener):
        def on_start(self, ev):
            func = getattr((ev.data or {}).get("dispatcher"), "py_func", None)
            if getattr(func, "__module__", "") == "archsim.memory.kernel.loop":
                _warm["compiled_in"] = _warm["compiled_in"] or _warm["test"]

        def on_end(self, ev):
            pass

    event.register("numba:compile", KernelCompile())


def pytest_collection_modifyitems(items):
    # Kernel-free files first; a stable sort keeps the order within each group.
    items.sort(key=lambda item: item.path.name not in KERNEL_FREE)


def _stop_warming() -> None:
    proc = _warm.get("proc")
    if proc is not None and proc.poll() is None:
        _warm["stopped"] = True
        proc.terminate()  # numba writes its cache files whole: a stopped compile leaves nothing
        proc.wait()


def pytest_collection_finish(session):
    if not any(item.path.name not in KERNEL_FREE for item in session.items):
        _stop_warming()  # nothing selected needs the kernel


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    proc = _warm.get("proc")
    if proc is not None and item.path.name not in KERNEL_FREE:
        proc.wait()  # counted in this test's setup time (--durations)
    _warm["test"] = item.nodeid


def pytest_terminal_summary(terminalreporter):
    proc = _warm.get("proc")
    if proc is None:
        return
    where = _warm["compiled_in"]
    if where == "collection" or (where and Path(where.split("::")[0]).name in KERNEL_FREE):
        terminalreporter.write_line(
            f"note: the DRAM kernel compiled in the test process during {where}, before the"
            " background compile was done: collection must not run it, and a file that does"
            " must not be in KERNEL_FREE (tests/conftest.py)"
        )
    if _warm["stopped"] or proc.poll() in (None, 0):
        return
    _warm["log"].seek(0)
    tail = _warm["log"].read().decode(errors="replace").strip().splitlines()[-1:]
    terminalreporter.write_line(
        f"note: the background compile of the DRAM kernel failed (exit {proc.returncode}):"
        f" {' '.join(tail)}; the tests compiled it themselves"
    )


def pytest_unconfigure(config):
    _stop_warming()
