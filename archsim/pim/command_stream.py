"""PIM command programs as runs, expanded to command arrays in numpy.

A program is thousands of column commands but only a few hundred *runs*: "ACT, then 32 MACs
over consecutive columns, then PRE". Compilers append runs in Python (work per row, not per
command) and :meth:`CommandStream.arrays` expands them in a handful of vectorised numpy calls.
A run repeats a short *pattern* of commands once per column, so interleaved streams such as
"MAC, MAC, WR on column k" for k = 0..n-1 are one run too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Rows at the top of each bank hold mode and result registers; programs use rows above it.
RESERVED_ROW = 0


class CommandStream:
    """Runs of ``(pattern, channel, bank set, row, first column, columns)`` in program order."""

    def __init__(self) -> None:
        self._patterns: dict[tuple[int, ...], int] = {}
        # One list per field, so expansion makes each an array in one call.
        self._pattern: list[int] = []
        self._channel: list[int] = []
        self._bank_set: list[int] = []
        self._row: list[int] = []
        self._column: list[int] = []
        self._count: list[int] = []
        self._length = 0

    def add(
        self,
        command: int | tuple[int, ...],
        channel: int,
        bank_set: int,
        row: int,
        column: int = 0,
        count: int = 1,
    ) -> None:
        """Issue ``command`` (or each command of a pattern) on ``count`` consecutive columns."""
        if count <= 0:
            return
        pattern = command if isinstance(command, tuple) else (command,)
        pid = self._patterns.setdefault(pattern, len(self._patterns))
        self._pattern.append(pid)
        self._channel.append(channel)
        self._bank_set.append(bank_set)
        self._row.append(row)
        self._column.append(column)
        self._count.append(count)
        self._length += count * len(pattern)

    @property
    def runs(self) -> int:
        return len(self._pattern)

    def repeat(self, times: int, row: int, body: Callable[[int], int]) -> int:
        """Emit a block ``times`` times on consecutive rows; returns the row after the last.

        ``body(row)`` emits one block from ``row`` on and returns the row after it. The blocks
        differ only in their rows, so the body runs once and the rest are copies (runs on
        ``RESERVED_ROW``, the mode and register accesses, stay where they are).
        """
        if times <= 0:
            return row
        first = self.runs
        end = body(row)
        self.replicate(first, times - 1, end - row, RESERVED_ROW)
        return end + (end - row) * (times - 1)

    def replicate(self, since: int, times: int, row_step: int, fixed_row: int) -> None:
        """Append ``times`` copies of the runs from run ``since`` on, the k-th ``k * row_step``
        rows further on; runs on ``fixed_row`` (mode and register accesses) stay on it."""
        if times <= 0 or since >= self.runs:
            return
        lengths = {pid: len(p) for p, pid in self._patterns.items()}
        tail = zip(self._pattern[since:], self._count[since:], strict=True)
        block = sum(c * lengths[p] for p, c in tail)
        rows = np.asarray(self._row[since:], dtype=np.int64)
        shift = np.where(rows == fixed_row, 0, row_step)
        copies = rows + shift * np.arange(1, times + 1, dtype=np.int64)[:, None]
        self._row.extend(copies.ravel().tolist())
        for field in (self._pattern, self._channel, self._bank_set, self._column, self._count):
            field.extend(field[since:] * times)
        self._length += block * times

    def __len__(self) -> int:
        """Commands, not runs."""
        return self._length

    def key(self) -> bytes:
        """A compact identity of the expanded stream (for caching its timing)."""
        patterns = repr(sorted(self._patterns.items(), key=lambda kv: kv[1])).encode()
        runs = np.array(
            [self._pattern, self._channel, self._bank_set, self._row, self._column, self._count],
            dtype=np.int64,
        )
        return patterns + runs.tobytes()

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(command, channel, bank set, row, column), one entry per command in program order."""
        if not self._length:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty, empty
        width = max(len(p) for p in self._patterns)
        table = np.zeros((len(self._patterns), width), dtype=np.int64)
        lengths = np.zeros(len(self._patterns), dtype=np.int64)
        for pattern, pid in self._patterns.items():
            table[pid, : len(pattern)] = pattern
            lengths[pid] = len(pattern)
        pid = np.asarray(self._pattern, dtype=np.int64)
        per_run = np.asarray(self._count, dtype=np.int64) * lengths[pid]
        run = np.repeat(np.arange(len(pid)), per_run)
        starts = np.cumsum(per_run) - per_run
        # Position inside the run: the pattern slot cycles fastest, the column advances per cycle.
        offset = np.arange(self._length, dtype=np.int64) - starts[run]
        p = lengths[pid][run]
        command = table[pid[run], offset % p]
        column = np.asarray(self._column, dtype=np.int64)[run] + offset // p
        fields = (self._channel, self._bank_set, self._row)
        channel, bank_set, row = (np.asarray(f, dtype=np.int64)[run] for f in fields)
        return command, channel, bank_set, row, column
