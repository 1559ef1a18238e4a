"""Memoised timing results: per process, and shared by the worker processes of a sweep.

A PIM program's or a DRAM stream's timing is a pure function of its key (the memory config and
the commands) and costs milliseconds to simulate; a workload repeats the same ones layer after
layer, and a sweep revisits them point after point. Each process keeps an LRU of them. The
executors of a sweep also point their workers at one directory (:func:`share`), so a timing one
worker simulated is read by the others (measured on bench_sweep: without it, two workers
simulated 10-15% more than one, each missing what the other had done).

Entries are pickles written atomically (temporary file, then rename), named by a SHA-256 of the
key; an unreadable entry is simulated again. The directory lives as long as its executor.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

V = TypeVar("V")

_shared: Path | None = None


def share(directory: str | Path | None) -> None:
    """Read and write entries under ``directory`` from now on (None: this process only)."""
    global _shared
    _shared = Path(directory) if directory is not None else None


class Memo(Generic[V]):
    """An LRU of ``size`` entries in front of the shared directory, if any."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()  # Dask may run points in threads of one process

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        path = self._path(key)
        value = _read(path) if path is not None else None
        if value is None:
            value = compute()
            if path is not None:
                _write(path, value)
        with self._lock:
            self._entries[key] = value
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _path(self, key: Hashable) -> Path | None:
        if _shared is None:
            return None
        digest = hashlib.sha256(repr(key).encode()).hexdigest()
        return _shared / f"{self.name}-{digest}"


def _read(path: Path):
    try:
        with path.open("rb") as f:
            return pickle.load(f)  # our own entries, in our own directory
    except (OSError, EOFError, pickle.UnpicklingError):
        return None


def _write(path: Path, value) -> None:
    # A unique temporary file: workers may be threads of one process (Dask without processes).
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    except OSError:  # a full or vanished directory only costs the sharing
        return
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
