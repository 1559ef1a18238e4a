"""Command logs: every DRAM command the controller issued, as text anyone can audit.

Format: ``#`` header lines (format version, system, standard, tCK), then one command per line:
``<cycle> <command> <channel> <rank> <bankgroup> <bank> <row> <column>`` with the cycle in tCK,
``-1`` for fields a command does not have (REFab has no bank; a same-bank REFsb has no group).
The last line, ``# end: N commands``, marks a complete log: the log is written to a temp file
and renamed into place only when the run that fills it succeeds, and ``archsim check-log``
refuses a log without the marker or with a different number of commands (a truncated copy).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from archsim.config.system import SystemConfig
from archsim.errors import ArchsimError
from archsim.memory.commands import COMMAND_IDS, COMMAND_NAMES

HEADER = "# archsim command log v1"
COLUMNS = "cycle command channel rank bankgroup bank row column"
END = re.compile(r"^# end: (\d+) commands$")


class CommandLogWriter:
    """Streams kernel log rows (int64, 8 columns) to a text file."""

    def __init__(
        self, path: str | Path, cfg: SystemConfig, system_ref: str, overrides: dict | None = None
    ) -> None:
        self._target = Path(path)
        if self._target.exists() and not self._target.is_file():
            raise ArchsimError(f"{path}: not a regular file; refusing to replace it")
        fd, name = tempfile.mkstemp(
            prefix=f".{self._target.name}.", suffix=".tmp", dir=self._target.parent
        )
        self._tmp = Path(name)
        self._f = os.fdopen(fd, "w")
        org = cfg.memory.organization
        # --set overrides the system was replayed with, so check-log rebuilds the same system.
        applied = f"# overrides: {json.dumps(overrides, sort_keys=True)}\n" if overrides else ""
        self._f.write(
            f"{HEADER}\n# system: {system_ref}\n{applied}# standard: {cfg.memory.standard}\n"
            f"# tck_ps: {org.tck_ps:g}\n# {COLUMNS}\n"
        )
        self._names = np.array(COMMAND_NAMES)
        self.commands = 0

    def write(self, rows: np.ndarray) -> None:
        names = self._names[rows[:, 1]]
        cols = [rows[:, k].astype(str) for k in range(8)]
        cols[1] = names
        lines = cols[0]
        for col in cols[1:]:
            lines = np.char.add(np.char.add(lines, " "), col)
        self._f.write("\n".join(lines.tolist()))
        self._f.write("\n")
        self.commands += len(rows)

    def close(self) -> None:
        """Finish the log: the end marker, then the rename into place. Called while an
        exception propagates (a ``finally`` after a failed run), it discards the log instead,
        so a failed run leaves no log that check-log could call "ok"."""
        if self._f.closed:
            return
        if sys.exc_info()[1] is not None:
            self.discard()
            return
        self._f.write(f"# end: {self.commands} commands\n")
        self._f.close()
        os.chmod(self._tmp, 0o644)
        os.replace(self._tmp, self._target)

    def discard(self) -> None:
        """Drop the log being written (the target path is left as it was)."""
        with contextlib.suppress(OSError):
            self._f.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink()

    def __enter__(self) -> CommandLogWriter:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()


def logged_commands(path: Path) -> int:
    """The command count of a complete log's end marker; ValueError if it has none."""
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 256))
        tail = f.read().decode("utf-8", "replace").rstrip("\n").rsplit("\n", 1)[-1]
    match = END.match(tail)
    if match is None:
        raise ValueError(
            "incomplete log: no '# end: N commands' line (truncated, or left by a failed run)"
        )
    return int(match.group(1))


def read_header(path: Path) -> dict[str, str]:
    header: dict[str, str] = {}
    with path.open(encoding="utf-8", errors="replace") as f:
        first = f.readline().rstrip("\n")
        if first != HEADER:
            raise ValueError(f"not an archsim command log (first line should be {HEADER!r})")
        for line in f:
            if not line.startswith("#"):
                break
            key, sep, value = line[1:].strip().partition(":")
            if sep:
                header[key.strip()] = value.strip()
    return header


def read_blocks(path: Path, rows: int = 1 << 18):
    """Yield (first line number, int64 array [n, 8]) blocks of a command log."""
    with path.open() as f:
        number = 0
        lines: list[str] = []
        first = None
        for line in f:
            number += 1
            if line.startswith("#") or not line.strip():
                continue
            if first is None:
                first = number
            lines.append(line)
            if len(lines) == rows:
                yield first, _parse(lines, first)
                lines, first = [], None
        if lines:
            yield first, _parse(lines, first)


def _parse(lines: list[str], first: int) -> np.ndarray:
    out = np.empty((len(lines), 8), dtype=np.int64)
    for k, line in enumerate(lines):
        parts = line.split()
        if len(parts) != 8 or parts[1] not in COMMAND_IDS:
            raise ValueError(f"line {first + k}: expected '{COLUMNS}', got {line.strip()!r}")
        try:
            out[k] = [int(parts[0]), COMMAND_IDS[parts[1]], *map(int, parts[2:])]
        except ValueError:
            raise ValueError(f"line {first + k}: non-integer field in {line.strip()!r}") from None
    return out
