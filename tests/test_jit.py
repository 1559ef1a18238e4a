"""The numba kernels' first call: the cache directory fallback and the compile notice."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

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


class _Cache:
    def __init__(self, path):
        self._cache_path = str(path)
        self.saved = []

    def save_overload(self, sig, data):
        self.saved.append(sig)


class _Kernel:
    def __init__(self, path):
        self._cache = _Cache(path)


def test_cached_kernels_are_dropped_when_any_of_their_sources_changes(tmp_path):
    """A digest of every source beside the cache: a changed module (not only the function's
    own file, which is all numba checks) removes the cached machine code once."""
    src = tmp_path / "src"
    src.mkdir()
    files = [src / "loop.py", src / "layout.py"]
    for f in files:
        f.write_text(f"# {f.name}\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    kernels = [_Kernel(cache), _Kernel(cache)]

    def fill():
        for name in ("loop.run-73.py311.nbi", "loop.run-73.py311.1.nbc"):
            (cache / name).write_bytes(b"x")

    fill()
    removed = jit.drop_stale_cache(kernels, files)  # no digest yet: nothing vouches for them
    assert sorted(p.name for p in removed) == ["loop.run-73.py311.1.nbc", "loop.run-73.py311.nbi"]
    fill()
    assert jit.drop_stale_cache(kernels, files) == []  # sources unchanged: the cache stays
    assert len(list(cache.glob("*.nb?"))) == 2
    (src / "layout.py").write_text("# layout.py, a field dropped\n")  # another file changes
    assert len(jit.drop_stale_cache(kernels, files)) == 2
    assert list(cache.glob("*.nb?")) == []
    assert (cache / jit.SOURCES_DIGEST_FILE).read_text() == jit.sources_digest(files)


def test_the_dram_kernel_digest_covers_every_module_its_code_imports():
    """Every archsim module imported by a module of archsim.memory.kernel is in its SOURCES:
    otherwise editing it would leave a stale kernel in the cache."""
    import ast
    import importlib.util

    from archsim.memory import kernel

    sources = {p.resolve() for p in kernel.SOURCES}
    for path in Path(kernel.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("archsim"):
                if node.module == "archsim.jit":
                    continue  # the cache machinery itself, not kernel code
                origin = Path(importlib.util.find_spec(node.module).origin).resolve()
                assert origin in sources, f"{path.name} imports {node.module}, not in SOURCES"


def test_code_compiled_from_sources_that_changed_meanwhile_is_not_saved(tmp_path):
    """A process that read the sources, then saw one change before its compile finished, does
    not save that compile: a later process would load it under the new digest."""
    src = tmp_path / "layout.py"
    src.write_text("A = 1\n")
    kernel = _Kernel(tmp_path / "cache")
    jit.drop_stale_cache([kernel], [src])
    kernel._cache.save_overload("sig-1", b"code")
    assert kernel._cache.saved == ["sig-1"]  # sources as read at import: saved
    src.write_text("A = 2\n")  # edited (or upgraded) while this process compiles
    kernel._cache.save_overload("sig-2", b"code")
    assert kernel._cache.saved == ["sig-1"]
