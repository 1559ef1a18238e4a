"""Request streams: the trace format (CSV, JSONL, Parquet) and the ``Requests`` arrays.

A trace holds one request per row: ``arrival_s`` (seconds from the start, non-decreasing after
sorting), ``prompt_tokens`` and ``output_tokens`` (both at least 1). CSV files have a header row
naming the columns (other columns are ignored); JSONL files hold one object per line with those
keys. A bad row is an error naming ``file:line`` (Parquet: ``file:row N``).
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archsim.errors import ArchsimError, TraceError

COLUMNS = ("arrival_s", "prompt_tokens", "output_tokens")
FORMATS = (".csv", ".jsonl", ".parquet")


@dataclass(frozen=True)
class Requests:
    """A request stream, sorted by arrival: parallel arrays, one entry per request."""

    arrival_s: np.ndarray  # float64 seconds
    prompt_tokens: np.ndarray  # int64
    output_tokens: np.ndarray  # int64

    def __post_init__(self) -> None:
        order = np.argsort(self.arrival_s, kind="stable")
        object.__setattr__(self, "arrival_s", np.asarray(self.arrival_s, float)[order])
        object.__setattr__(self, "prompt_tokens", np.asarray(self.prompt_tokens, np.int64)[order])
        object.__setattr__(self, "output_tokens", np.asarray(self.output_tokens, np.int64)[order])

    def __len__(self) -> int:
        return len(self.arrival_s)


def _row(path: str, line: int, values: dict) -> tuple[float, int, int]:
    missing = [c for c in COLUMNS if c not in values or values[c] in (None, "")]
    if missing:
        raise TraceError(
            path, line, f"missing {', '.join(missing)} (columns: {', '.join(COLUMNS)})"
        )
    try:
        arrival = float(values["arrival_s"])
    except (TypeError, ValueError):
        raise TraceError(path, line, f"arrival_s {values['arrival_s']!r} is not a number") from None
    if not math.isfinite(arrival) or arrival < 0:
        raise TraceError(path, line, f"arrival_s must be a finite time >= 0 s, got {arrival}")
    lengths = []
    for col in ("prompt_tokens", "output_tokens"):
        raw = values[col]
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise TraceError(path, line, f"{col} {raw!r} is not a whole number") from None
        if not number.is_integer():
            raise TraceError(path, line, f"{col} {raw!r} is not a whole number")
        if number < 1:
            raise TraceError(path, line, f"{col} must be at least 1, got {int(number)}")
        lengths.append(int(number))
    return arrival, lengths[0], lengths[1]


def _from_rows(rows: list[tuple[float, int, int]], path: str) -> Requests:
    if not rows:
        raise TraceError(path, None, "the trace holds no requests")
    a = np.array(rows, dtype=float)
    return Requests(a[:, 0], a[:, 1].astype(np.int64), a[:, 2].astype(np.int64))


def read_trace(path: str | Path) -> Requests:
    """Read a request trace; the format follows the suffix (.csv, .jsonl, .parquet)."""
    p = Path(path)
    name = str(path)
    if p.suffix not in FORMATS:
        raise ArchsimError(f"{name}: request traces are {', '.join(FORMATS)} files")
    if not p.is_file():
        raise ArchsimError(f"{name}: no such file")
    try:
        return _read_rows(p, name)
    except UnicodeDecodeError as exc:
        raise TraceError(name, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _read_rows(p: Path, name: str) -> Requests:
    rows: list[tuple[float, int, int]] = []
    if p.suffix == ".csv":
        with p.open(newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or not set(COLUMNS) <= set(reader.fieldnames):
                raise TraceError(name, 1, f"header must name the columns {', '.join(COLUMNS)}")
            for record in reader:
                rows.append(_row(name, reader.line_num, record))
    elif p.suffix == ".jsonl":
        with p.open() as f:
            for line, text in enumerate(f, 1):
                if not text.strip():
                    continue
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise TraceError(name, line, f"not valid JSON: {exc.msg}") from None
                if not isinstance(record, dict):
                    raise TraceError(name, line, "each line must be a JSON object")
                rows.append(_row(name, line, record))
    else:
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(p)
        except Exception as exc:
            raise TraceError(name, None, f"not a readable Parquet file: {exc}") from None
        missing = [c for c in COLUMNS if c not in table.column_names]
        if missing:
            raise TraceError(name, None, f"missing column(s) {', '.join(missing)}")
        cols = [table.column(c).to_pylist() for c in COLUMNS]
        for i, values in enumerate(zip(*cols, strict=True)):
            try:
                rows.append(_row(name, i + 1, dict(zip(COLUMNS, values, strict=True))))
            except TraceError as exc:
                raise TraceError(name, None, f"row {i + 1}: {exc.message}") from None
    return _from_rows(rows, name)


def atomic_write(path: Path, write) -> None:
    """``write(tmp_path)`` then rename over ``path``: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(columns: dict[str, list | np.ndarray], path: str | Path) -> None:
    """Columns to CSV, JSONL or Parquet (by suffix), atomically."""
    p = Path(path)
    if p.suffix not in FORMATS:
        raise ArchsimError(f"{path}: write .csv, .jsonl or .parquet")
    names = list(columns)
    data = [np.asarray(columns[n]).tolist() for n in names]

    def write(tmp: Path) -> None:
        if p.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table(dict(zip(names, data, strict=True))), tmp)
        elif p.suffix == ".csv":
            with tmp.open("w", newline="") as f:
                w = csv.writer(f)
                w.writerow(names)
                w.writerows(zip(*data, strict=True))
        else:
            with tmp.open("w") as f:
                for values in zip(*data, strict=True):
                    f.write(json.dumps(dict(zip(names, values, strict=True))) + "\n")

    atomic_write(p, write)


def write_trace(requests: Requests, path: str | Path) -> None:
    write_table(
        {
            "arrival_s": requests.arrival_s,
            "prompt_tokens": requests.prompt_tokens,
            "output_tokens": requests.output_tokens,
        },
        path,
    )
