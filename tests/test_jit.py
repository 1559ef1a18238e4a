"""The numba kernels' first call: the cache directory fallback and the compile notice."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from numba import njit
from rich.console import Console

from archsim import jit


def test_cache_dir_only_set_when_numba_would_find_none():
    assert jit.choose_cache_dir({}, package_writable=True, user_writable=False) is None
    assert jit.choose_cache_dir({}, package_writable=False, user_writable=True) is None
    assert jit.choose_cache_dir({"NUMBA_CACHE_DIR": "/x"}, False, False) is None
    assert jit.choose_cache_dir({}, False, False) == jit.fallback_cache_dir()


def test_read_only_install_without_a_home_cache_gets_a_temporary_cache(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("NUMBA_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))  # cannot be made: not a dir
    monkeypatch.setattr(jit.os, "access", lambda *_: False)  # the package dir is read-only
    jit.ensure_cache_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == str(jit.fallback_cache_dir())


def test_writable_install_leaves_numba_alone(monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", "")
    jit.ensure_cache_dir()  # the source tree is writable here
    assert os.environ["NUMBA_CACHE_DIR"] == ""


def test_compile_notice_names_what_compiles_and_is_silent_when_compiled():
    @njit  # not cached: compiles in this process whatever ran before
    def add_one(x):
        return x + 1

    text = io.StringIO()
    console = Console(file=text, width=200)
    with jit.compile_notice(console) as log:
        assert add_one(1) == 2
    assert log.functions == [f"{__name__}.{add_one.py_func.__qualname__}"]
    assert log.compilations >= 1
    printed = text.getvalue()
    assert "compiling numba kernels on first use" in printed
    assert "add_one" in printed and "compiled 1 functions" in printed

    text.truncate(0)
    with jit.compile_notice(console) as log:
        add_one(2)
    assert log.functions == [] and log.compilations == 0
    assert text.getvalue() == ""


@pytest.mark.slow
def test_warmup_fills_an_empty_cache_and_the_next_run_compiles_nothing(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    cmd = [sys.executable, "-m", "archsim"]
    first = subprocess.run([*cmd, "warmup"], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "compiling numba kernels on first use" in first.stdout
    assert "archsim.memory.kernel" in first.stdout
    assert any((tmp_path / "cache").rglob("*.nbi"))
    run = subprocess.run(
        [*cmd, "run", "-w", "gemv-4096x1024-fp16"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert "compiling" not in run.stdout + run.stderr
    again = subprocess.run([*cmd, "warmup"], env=env, capture_output=True, text=True)
    assert "every kernel was already compiled" in again.stdout
