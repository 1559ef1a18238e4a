"""The results store: one DuckDB file, one row per point, written by the parent as points finish.

Rows are queued and committed together (:meth:`ResultStore.flush`): the sweep commits about
once a second, so the parent spends its time on the points, not on DuckDB commits.

Columns: fixed identity columns, then one per swept parameter and one per metric (the run
report flattened to dotted names), added as they first appear, so a new report section (``tco``)
becomes columns without a code change. A ``meta`` table records the schema version; a file from
another schema is refused with the reason and never touched.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from archsim.errors import ArchsimError
from archsim.version import __version__

SCHEMA_VERSION = "1"
_BATCH = "archsim_pending_rows"  # the queued rows, as a view, while they are committed


@contextlib.contextmanager
def _uninterrupted():
    """Hold Ctrl-C until a commit is done. A KeyboardInterrupt raised while DuckDB reads the
    batch came out as a DuckDB error (a traceback, exit 1) and lost the batch; here SIGINT only
    takes note, and the interrupt is raised right after the commit, where the sweep reports
    what it saved."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


STORE_THREADS = 1
FIXED = (
    "key",
    "sweep",
    "point",
    "seed",
    "status",
    "error",
    "wall_s",
    "archsim_version",
    "ops",
    "point_params",  # the point's parameters as given (JSON), whatever their columns hold
)
# Arrow types of the store's column types, for the batch a commit inserts.
_ARROW = {
    "VARCHAR": pa.string(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
}
# No PRIMARY KEY on points.key: DuckDB maintains its index at every commit, which made a write
# cost ~7 ms instead of ~2 ms; write() replaces a row by key in one transaction instead.
_CREATE = """
CREATE TABLE IF NOT EXISTS meta (name VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS points (
    key VARCHAR, sweep VARCHAR, point INTEGER, seed BIGINT, status VARCHAR,
    error VARCHAR, wall_s DOUBLE, archsim_version VARCHAR, ops VARCHAR, point_params VARCHAR
);
"""


class StoreError(ArchsimError):
    """A results file that cannot be used (wrong schema, not a DuckDB file)."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ResultStore:
    """A DuckDB results file (created if missing, refused if incompatible)."""

    def __init__(
        self, path: str | Path, read_only: bool = False, commit_interval_s: float = 0.0
    ) -> None:
        """``commit_interval_s``: queue rows and commit at most this often (0: every row)."""
        self.path = Path(path)
        self.commit_interval_s = commit_interval_s
        self._committed_at = time.monotonic()
        existed = self.path.exists()
        if read_only and not existed:
            raise StoreError(f"{self.path}: no such results file")
        try:
            # One thread: the store writes one small row at a time, and idle DuckDB threads
            # would compete with the workers for the cores.
            self.db = duckdb.connect(
                str(self.path), read_only=read_only, config={"threads": STORE_THREADS}
            )
        except duckdb.Error as exc:
            raise StoreError(
                f"{self.path}: not a results file this archsim can read ({_first_line(exc)});"
                " it was left untouched: pass another --db"
            ) from None
        initialised = self._check_schema() if existed else False
        if not read_only and not initialised:
            self.db.execute(_CREATE)
            self.db.execute(
                "INSERT INTO meta VALUES ('schema_version', ?), ('created_by', ?)"
                " ON CONFLICT DO NOTHING",
                [SCHEMA_VERSION, __version__],
            )
        self._columns = {name: kind for name, kind in self._describe()}
        self._pending: dict[str, dict[str, Any]] = {}
        self._new_columns: list[str] = []
        self._retyped: list[str] = []  # existing number columns that become text
        # Keys with a row: only a point run again (a failed one, on resume) needs a DELETE.
        self._keys = {r[0] for r in self.db.execute("SELECT key FROM points").fetchall()}

    def _check_schema(self) -> bool:
        """Refuse a file that is not our schema; True if it is an initialised store already."""
        # duckdb_tables() rather than information_schema: 0.4 ms instead of 5 on every open.
        names = self.db.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        tables = {r[0] for r in names}
        if not tables:
            return False  # an empty DuckDB file: ours to initialise
        if "meta" not in tables or "points" not in tables:
            self.db.close()
            raise StoreError(
                f"{self.path}: a DuckDB file but not an archsim results store (tables:"
                f" {', '.join(sorted(tables))}); it was left untouched: pass another --db"
            )
        row = self.db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        found = row[0] if row else "none"
        if found != SCHEMA_VERSION:
            self.db.close()
            raise StoreError(
                f"{self.path}: results schema version {found}, but archsim {__version__} reads"
                f" version {SCHEMA_VERSION}; it was left untouched: pass another --db or export"
                " it with the archsim that wrote it"
            )
        return True

    def _describe(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.db.execute("DESCRIBE points").fetchall()]

    def _widens(self, name: str, value: Any, ok: bool) -> bool:
        """A text that is not a number, from a point that ran, in a number column: the parameter
        takes both (``prune: [0.5, "2:4"]``), so its column becomes text. From a failed point
        (a value that failed validation) it does not; ``point_params`` keeps it."""
        if not ok or self._columns[name] != "DOUBLE" or not isinstance(value, str):
            return False
        return _as_column_type(value, "DOUBLE") is None

    def _widen(self, name: str) -> None:
        """Make a number column text, here and in the rows already queued."""
        self._columns[name] = "VARCHAR"
        if name not in self._new_columns:
            self._retyped.append(name)
        for row in self._pending.values():
            if row.get(name) is not None:
                row[name] = _as_column_type(row[name], "VARCHAR")

    def _ensure_column(self, name: str, value: Any) -> None:
        """Type a new column by its first value; it is added with the next commit."""
        if name not in self._columns:
            self._columns[name] = "VARCHAR" if isinstance(value, str) else "DOUBLE"
            self._new_columns.append(name)

    def done(self, sweep: str) -> set[str]:
        """Keys of the points of ``sweep`` that this archsim version finished ok (a resumed sweep
        skips them; a point finished by another version, whose model or defaults may differ,
        runs again and its row is replaced)."""
        self.flush()
        rows = self.db.execute(
            "SELECT key FROM points WHERE sweep = ? AND status = 'ok' AND archsim_version = ?",
            [sweep, __version__],
        ).fetchall()
        return {r[0] for r in rows}

    def metrics_of(self, key: str, names: list[str]) -> list[float | None] | None:
        """Stored metric values of one finished point (optuna replays them on resume)."""
        if any(n not in self._columns for n in names):
            return None
        self.flush()
        cols = ", ".join(_quote(n) for n in names)
        row = self.db.execute(
            f"SELECT {cols} FROM points WHERE key = ? AND status = 'ok'", [key]
        ).fetchone()
        return list(row) if row else None

    def write(self, sweep: str, task, result: dict[str, Any]) -> None:
        """Queue one point's row (replacing any row of its key); :meth:`flush` commits."""
        values: dict[str, Any] = {
            "key": task.key,
            "sweep": sweep,
            "point": task.index,
            "seed": task.seed,
            "status": result["status"],
            "error": result.get("error"),
            "wall_s": result.get("wall_s", 0.0),
            "archsim_version": __version__,
            "ops": result.get("ops") or None,  # JSON text, made in the worker
            "point_params": json.dumps(task.params, sort_keys=True, default=str),
        }
        self._ensure_column("point_params", "")  # a store written before the column existed
        for name, value in {**task.params, **result.get("metrics", {})}.items():
            if name in FIXED:
                continue
            if isinstance(value, bool):
                value = float(value)
            if value is not None and not isinstance(value, int | float | str):
                value = json.dumps(value)
            if value is not None:
                self._ensure_column(name, value)
                if self._widens(name, value, result["status"] == "ok"):
                    self._widen(name)
                value = _as_column_type(value, self._columns[name])
            values[name] = value
        self._pending[task.key] = values
        self.flush_if_due()

    def flush_if_due(self) -> None:
        """Commit what is queued if the commit interval has passed since the last commit."""
        if self._pending and time.monotonic() - self._committed_at >= self.commit_interval_s:
            self.flush()

    @property
    def pending(self) -> int:
        """Rows written but not yet committed."""
        return len(self._pending)

    def _add_columns(self) -> None:
        """Add the new columns (inside the flush's transaction)."""
        if not self._new_columns:
            return
        if not self._keys:
            # An empty table (a new file) is recreated with every column in one statement: a
            # report has a hundred metrics, and an ALTER costs ~0.3 ms each.
            columns = ", ".join(f"{_quote(n)} {kind}" for n, kind in self._columns.items())
            self.db.execute(f"CREATE OR REPLACE TABLE points ({columns})")
            return
        for name in self._new_columns:
            column = f"{_quote(name)} {self._columns[name]}"
            self.db.execute(f"ALTER TABLE points ADD COLUMN IF NOT EXISTS {column}")

    def flush(self) -> None:
        """Commit every queued row in one transaction (~10 ms a commit, far less a row)."""
        if not self._pending:
            return
        # One Arrow table and two set-based statements per commit: DuckDB's executemany runs a
        # statement per row (~4 ms a row with a hundred metric columns).
        rows = list(self._pending.values())
        # An explicit schema: inferred from the first row, a column that row lacks (a failed
        # point has no metrics) would be dropped for the whole batch.
        present = set().union(*rows)
        columns = [(n, kind) for n, kind in self._columns.items() if n in present]
        schema = pa.schema([(n, _ARROW.get(kind, pa.string())) for n, kind in columns])
        batch = pa.Table.from_pylist(rows, schema=schema)
        with _uninterrupted():
            self.db.register(_BATCH, batch)
            self.db.execute("BEGIN TRANSACTION")
            try:
                self._add_columns()
                for name in self._retyped:
                    self.db.execute(f"ALTER TABLE points ALTER COLUMN {_quote(name)} TYPE VARCHAR")
                if not self._keys.isdisjoint(self._pending):
                    self.db.execute(f"DELETE FROM points WHERE key IN (SELECT key FROM {_BATCH})")
                self.db.execute(f"INSERT INTO points BY NAME SELECT * FROM {_BATCH}")
                self.db.execute("COMMIT")
            except Exception:
                self.db.execute("ROLLBACK")
                raise
            finally:
                self.db.unregister(_BATCH)
            # The bookkeeping too, before a held Ctrl-C is raised.
            self._keys.update(self._pending)
            self._pending.clear()
            self._new_columns.clear()
            self._retyped.clear()
            self._committed_at = time.monotonic()

    def set_meta(self, name: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [name, value])

    def meta(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", [name]).fetchone()
        return row[0] if row else None

    def columns(self) -> list[str]:
        self.flush()
        return [n for n, _ in self._describe()]

    def rows(self, where: str = "TRUE") -> list[dict[str, Any]]:
        self.flush()
        cursor = self.db.execute(f"SELECT * FROM points WHERE {where} ORDER BY sweep, point, seed")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

    def export(self, target: str | Path) -> Path:
        """Write every row to Parquet or CSV (by the suffix)."""
        target = Path(target)
        fmt = {".parquet": "PARQUET", ".csv": "CSV"}.get(target.suffix.lower())
        if fmt is None:
            raise StoreError(f"{target}: export to a .parquet or .csv file")
        from archsim.outputs import atomic_write

        header = ", HEADER" if fmt == "CSV" else ""
        self.flush()
        with atomic_write(target) as tmp:
            escaped = str(tmp).replace("'", "''")
            self.db.execute(
                f"COPY (SELECT * EXCLUDE (ops) FROM points ORDER BY sweep, point, seed)"
                f" TO '{escaped}' (FORMAT {fmt}{header})"
            )
        return target

    def close(self) -> None:
        """Commit what is queued and close the file."""
        try:
            self.flush()
        finally:
            self.db.close()


def _as_column_type(value: Any, kind: str) -> Any:
    """A value as its column stores it (see ``_widens``): in a number column, a text that reads
    as a number becomes one, anything else is left out (``point_params`` keeps it)."""
    if kind == "VARCHAR":
        return str(value)
    try:
        return float(value)  # also an int beyond int64, which Arrow would refuse
    except (ValueError, OverflowError):
        return None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
