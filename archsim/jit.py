"""The numba kernels' first call: where they are cached, and saying so while they compile.

Every kernel is ``@njit(cache=True)``: the first process that calls one compiles it (15-50 s for
all of them) and writes the machine code to a cache that every later process loads in well under
a second. numba caches beside the source (``__pycache__``), or, when the installed package is
read-only, in the user's cache directory; :func:`ensure_cache_dir` adds a last resort for a
read-only install without a writable home (numba would otherwise refuse to define the kernels).

:func:`compile_notice` prints what is compiling while it compiles (numba's compile events);
``archsim.warmup`` compiles every kernel ahead (``archsim warmup``). This module imports nothing
of archsim (layer ``base``): every layer may announce its compiles.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Imported by ``archsim/__init__.py``: only os, time, contextlib and pathlib at the top.
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _writable(directory: Path) -> bool:
    """What numba checks before it caches in a directory: it can be made and written to."""
    import tempfile

    try:
        directory.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=directory).close()
    except OSError:
        return False
    return True


def user_cache_dir() -> Path:
    """numba's user-wide cache directory on Linux and macOS ($XDG_CACHE_HOME/numba)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "numba"


def fallback_cache_dir() -> Path:
    """A per-user directory under the system's temporary directory."""
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    return Path(tempfile.gettempdir()) / f"archsim-numba-cache-{uid}"


def choose_cache_dir(
    environ: dict[str, str], package_writable: bool, user_writable: bool
) -> Path | None:
    """The NUMBA_CACHE_DIR to set, or None where numba finds a writable place itself."""
    if environ.get("NUMBA_CACHE_DIR") or package_writable or user_writable:
        return None
    return fallback_cache_dir()


def ensure_cache_dir() -> None:
    """Before numba is imported: give it a cache directory if it would find none.

    One ``access`` call in the usual case (a writable source tree or install).
    """
    if os.environ.get("NUMBA_CACHE_DIR") or os.access(PACKAGE_DIR, os.W_OK):
        return
    chosen = choose_cache_dir(dict(os.environ), False, _writable(user_cache_dir()))
    if chosen is not None:
        os.environ["NUMBA_CACHE_DIR"] = str(chosen)


def _name(dispatcher: Any) -> str:
    func = getattr(dispatcher, "py_func", None)
    if func is None:
        return str(dispatcher)
    return f"{func.__module__}.{func.__qualname__}"


def cache_location() -> str:
    """Where numba keeps archsim's compiled kernels (as :func:`ensure_cache_dir` left it)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    if os.access(PACKAGE_DIR, os.W_OK):
        return f"__pycache__ beside archsim's modules ({PACKAGE_DIR})"
    return str(user_cache_dir())


class CompileLog:
    """What compiled under :func:`compile_notice`: each function once, in order, and how many
    compilations in all (a function compiles once per argument-type signature)."""

    def __init__(self) -> None:
        self.functions: list[str] = []
        self.compilations = 0
        self.seconds = 0.0


@contextmanager
def compile_notice(console: Any, quiet: bool = False):
    """Within the block, each function numba compiles is a line on ``console`` (the first with
    why it takes a while), counted in the yielded :class:`CompileLog`. numba's own helpers that
    compile along with a kernel are counted, not shown. Loads from the cache are silent: a warm
    run prints nothing. Lines, not a live display: commands show their own spinners."""
    from numba.core import event

    log = CompileLog()
    start = time.perf_counter()

    class Listener(event.Listener):
        def on_start(self, ev) -> None:
            name = _name((ev.data or {}).get("dispatcher"))
            log.compilations += 1
            if name.startswith("numba.") or name in log.functions:
                return
            log.functions.append(name)
            if quiet:
                return
            if len(log.functions) == 1:
                console.print(
                    "compiling numba kernels on first use; once: later runs load them from"
                    f" {cache_location()} (`archsim warmup` compiles them all ahead)",
                    highlight=False,
                    markup=False,
                )
            elapsed = time.perf_counter() - start
            console.print(f"  compiling {name} ({elapsed:.0f} s)", highlight=False, markup=False)

        def on_end(self, ev) -> None:
            pass

    try:
        with event.install_listener("numba:compile", Listener()):
            yield log
    finally:
        log.seconds = time.perf_counter() - start
        if log.functions and not quiet:
            console.print(
                f"compiled {len(log.functions)} functions ({log.compilations} compilations)"
                f" in {log.seconds:.1f} s",
                highlight=False,
            )


def without_blas_probe() -> None:
    """Import numba's array-math module without its SciPy BLAS probe.

    ``numba.np.arraymath`` imports ``scipy.linalg`` at import time to learn whether BLAS is
    there (0.13-0.3 s of every process that loads a kernel, measured with ``-X importtime``).
    No archsim kernel calls a BLAS routine (``np.dot``, ``@``, ``np.linalg``) inside ``njit``
    code, so the probe buys nothing: ``scipy.linalg`` is hidden while that module loads and
    restored right after, so a later ``import scipy.linalg`` works as usual. Called before the
    first ``from numba import njit`` of each kernel module; a no-op once numba has loaded it or
    when SciPy's linalg is already imported.
    """
    import sys

    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    sys.modules["scipy.linalg"] = None  # type: ignore[assignment]
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules["scipy.linalg"]


# numba releases whose cache loader :func:`load_from_cache_alone` was checked against: Cache's
# load_overload (refresh, then _load_overload under _guard_against_spurious_io_errors) and the CPU
# target's registries (rtsys.initialize, then imports) read the same in 0.60.0 and 0.68.1
# (numba/core/caching.py, cpu.py); the suite runs on 0.68.1.
QUICK_LOAD_NUMBA = ((0, 60), (0, 68))


def load_from_cache_alone(dispatcher: Any) -> Any:
    """Let one kernel load its cached machine code without numba's whole lowering registry.

    On a cache hit numba still calls ``refresh()`` on its CPU target, which imports every
    implementation module it has (array math, random, typed containers, ...) and installs their
    typing and lowering registries: 0.13-0.2 s CPU of every process, measured, to run code that
    is already machine code. Those registries are for compiling; a cached nopython function only
    needs numba's runtime initialised (without it the first call of a kernel that uses the
    runtime crashes), and a kernel compiled without the runtime (``_nrt=False``) not even that.
    This replaces the cache's ``load_overload`` on ``dispatcher`` alone by one that does just
    that and loads, so other numba code in the process is untouched. A miss still compiles
    through numba's own path, which refreshes the registries first.

    Applied to the kernels on the replay path (the DRAM controller and the trace parser), whose
    cached code uses no symbol that an implementation module registers when it is imported.
    A no-op, returning the dispatcher as it was, on a numba outside :data:`QUICK_LOAD_NUMBA` or
    whose cache lacks the attributes used.
    """
    import numba

    version = tuple(int(x) for x in numba.__version__.split(".")[:2])
    cache = getattr(dispatcher, "_cache", None)
    if not (
        QUICK_LOAD_NUMBA[0] <= version <= QUICK_LOAD_NUMBA[1]
        and hasattr(cache, "_load_overload")
        and hasattr(cache, "_guard_against_spurious_io_errors")
    ):
        return dispatcher
    from numba.core.runtime import rtsys

    # A kernel compiled without numba's runtime (``_nrt=False``: it allocates nothing) does not
    # need it initialised (which compiles the runtime's own module: ~20 ms).
    needs_runtime = dispatcher.targetoptions.get("_nrt", True)

    def load_overload(sig: Any, target_context: Any) -> Any:
        if needs_runtime:
            rtsys.initialize(target_context)
        with cache._guard_against_spurious_io_errors():
            return cache._load_overload(sig, target_context)

    cache.load_overload = load_overload
    return dispatcher


SOURCES_DIGEST_FILE = "archsim-sources.sha256"


def sources_digest(files: list[Path]) -> str:
    """One sha256 over the contents of ``files`` (in the order given), named by file name."""
    import hashlib

    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def drop_stale_cache(dispatchers: list[Any], files: list[Path]) -> list[Path]:
    """Keep the cached machine code of ``dispatchers`` in step with all of ``files``: remove it
    if any of them changed since it was written, and never write code compiled from sources
    that changed meanwhile. Returns what was removed.

    numba checks a cached function against its own source file only, while a kernel here
    inlines functions and compiles in constants from several modules: after one of them changes
    (an upgrade of archsim over an old install, whose ``__pycache__`` pip leaves behind, or an
    edit of a source checkout), numba would load the old machine code of a function whose own
    file did not change and link it with new code (measured: a replay that never ends). Each
    cache directory of ``dispatchers`` keeps a digest of ``files``; when it differs, every
    ``.nbi``/``.nbc`` file there is removed and the kernels compile again (the digest is written
    only once they are all gone). A process that was compiling from the old sources when they
    changed does not save its code: each save first checks that ``files`` still hash to what
    this process read at import. Reads ``files`` (a few dozen kB) at import: under a
    millisecond. A process that loads while another removes finds the files gone and compiles
    (numba treats a vanished file as a miss).
    """
    digest = sources_digest(files)
    removed: list[Path] = []
    caches = [getattr(d, "_cache", None) for d in dispatchers]
    for cache in caches:
        if hasattr(cache, "save_overload"):
            cache.save_overload = _save_if_current(cache.save_overload, files, digest)
    dirs = {getattr(cache, "_cache_path", None) for cache in caches}
    for directory in sorted(Path(d) for d in dirs if d):
        stamp = directory / SOURCES_DIGEST_FILE
        try:
            if stamp.read_text() == digest:
                continue
        except OSError:
            pass
        kept = False
        for pattern in ("*.nbi", "*.nbc"):
            for cached in directory.glob(pattern):
                try:
                    cached.unlink()
                    removed.append(cached)
                except FileNotFoundError:
                    pass  # another process removed it first
                except OSError:
                    kept = True
        if kept:
            continue  # stale files remain (not ours to remove): no digest vouches for them
        try:
            directory.mkdir(parents=True, exist_ok=True)
            tmp = directory / f".{SOURCES_DIGEST_FILE}.{os.getpid()}.tmp"
            tmp.write_text(digest)
            os.replace(tmp, stamp)
        except OSError:
            pass  # a read-only cache: numba will not write there either
    return removed


def _save_if_current(save: Any, files: list[Path], digest: str) -> Any:
    def save_overload(sig: Any, data: Any) -> None:
        try:
            current = sources_digest(files)
        except OSError:
            return
        if current == digest:
            save(sig, data)

    return save_overload
