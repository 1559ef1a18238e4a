"""Operator-trace files: JSON Lines and YAML (human-readable), Parquet (columnar).

* JSON Lines (``.jsonl``, ``.jsonl.gz``): a header line
  ``{"format": "archsim-ops", "version": 1, "name": ...}``, then one ``{"tensor": {...}}`` or
  ``{"op": {...}}`` per line, fields as in the pydantic models, defaults left out. Greppable,
  diffable, streams line by line; errors name the line.
* YAML (``.yaml``): the Workload model as a mapping (``name``, ``tensors`` by name, ``ops``).
  A workload preset may instead name a generator (see :mod:`archsim.workload.presets`).
* Parquet (``.parquet``): one row per tensor or op, typed columns for what every record has
  (record, name, kind, inputs, outputs, repeat, shape, dtype, role, copies) and the
  kind-specific fields as a JSON ``attrs`` column. Chosen over a bespoke binary format because
  pyarrow is well kept, compresses and reads a million-op trace in well under a second, and
  DuckDB or pandas query it directly (the sweep results store is DuckDB too).
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import yaml

from archsim.config.yaml_text import parse_yaml, read_text
from archsim.errors import ArchsimError, ConfigError, TraceError
from archsim.outputs import atomic_write, write_text
from archsim.workload.graph import Workload, build_workload
from archsim.workload.specs import workload_from_spec

FORMAT_TAG = "archsim-ops"
VERSION = 1
SUFFIXES = {
    ".jsonl": "jsonl", ".jsonl.gz": "jsonl", ".json": "jsonl", ".yaml": "yaml", ".yml": "yaml",
    ".parquet": "parquet", ".pq": "parquet",
}  # fmt: skip
PARQUET_MAGIC = b"PAR1"
_TENSOR_COLUMNS = ("shape", "dtype", "role", "copies")
_OP_COLUMNS = ("kind", "inputs", "outputs", "repeat")


def _tensor_record(t) -> dict[str, Any]:
    record = t.model_dump(mode="json", exclude_defaults=True) | {"name": t.name}
    if t.sparsity is not None:  # keep the discriminator, a default
        record["sparsity"] = t.sparsity.model_dump(mode="json")
    return record


def _op_record(op) -> dict[str, Any]:
    data = op.model_dump(mode="json", exclude_defaults=True)
    return {"kind": op.kind, "name": op.name, **data}


def suffix_format(path: str | Path) -> str | None:
    """The operator-trace format named by the suffix of ``path``, or None."""
    name = str(path).lower()
    for suffix, fmt in sorted(SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return fmt
    return None


def format_of(path: str | Path) -> str | None:
    """The operator-trace format of ``path`` from its suffix or content, or None."""
    fmt = suffix_format(path)
    if fmt is not None:
        return fmt
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(b"\x1f\x8b"):
        try:  # only the head: decompressing the whole file took 46 s and 5.5 GB on a big one
            with gzip.open(path, "rb") as f:
                head = f.read(4096)
        except (OSError, EOFError, zlib.error):
            return None
    text = head.decode("utf-8", "replace").lstrip()
    if text.startswith("{") and FORMAT_TAG in text.split("\n", 1)[0]:
        return "jsonl"
    return None


# -- JSON Lines ---------------------------------------------------------------------------------


def write_jsonl(workload: Workload, path: str | Path) -> None:
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    header = {"format": FORMAT_TAG, "version": VERSION, "name": workload.name}
    if workload.notes:
        header["notes"] = workload.notes
    with atomic_write(path) as tmp, opener(tmp, "wt") as f:  # type: ignore[operator]
        f.write(json.dumps(header) + "\n")
        for t in workload.tensors.values():
            f.write(json.dumps({"tensor": _tensor_record(t)}) + "\n")
        for op in workload.ops:
            f.write(json.dumps({"op": _op_record(op)}) + "\n")


def read_jsonl(path: str | Path) -> Workload:
    path = Path(path)
    opener = gzip.open if _is_gzip(path) else open
    tensors: list[dict] = []
    ops: list[dict] = []
    header: dict | None = None
    number = 0
    try:
        with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
            for number, line in enumerate(f, start=1):
                header = _jsonl_record(path, number, line, header, tensors, ops)
    except UnicodeDecodeError:
        raise TraceError(str(path), number + 1, "not UTF-8 text") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise TraceError(
            str(path), None, f"the compressed data is truncated or corrupt ({exc})"
        ) from None
    if header is None:
        raise TraceError(str(path), None, "empty operator trace")
    data = {"name": header.get("name", path.stem), "tensors": tensors, "ops": ops,
            "notes": header.get("notes", [])}  # fmt: skip
    return build_workload(data, str(path))


def _jsonl_record(path, number, line, header, tensors, ops):
    """Read one line of a JSON Lines trace into ``tensors`` or ``ops``; return the header."""
    line = line.strip()
    if not line or line.startswith("#"):
        return header
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise TraceError(str(path), number, f"not valid JSON: {exc.msg}") from None
    if not isinstance(record, dict):
        raise TraceError(str(path), number, "expected a JSON object")
    if header is None:
        if record.get("format") != FORMAT_TAG:
            raise TraceError(
                str(path),
                number,
                f'the first line must be the header {{"format": "{FORMAT_TAG}", ...}}',
            )
        version = record.get("version", VERSION)
        if not isinstance(version, int) or isinstance(version, bool):
            raise TraceError(
                str(path), number, f"header field version: expected an integer, got {version!r}"
            )
        if version > VERSION:
            raise TraceError(str(path), number, f"version {version} is newer than {VERSION}")
        return record
    if set(record) == {"tensor"} and isinstance(record["tensor"], dict):
        tensors.append(record["tensor"])
    elif set(record) == {"op"} and isinstance(record["op"], dict):
        ops.append(record["op"])
    else:
        raise TraceError(str(path), number, 'expected {"tensor": {...}} or {"op": {...}}')
    return header


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == b"\x1f\x8b"


# -- YAML ---------------------------------------------------------------------------------------


def workload_to_dict(workload: Workload) -> dict[str, Any]:
    data: dict[str, Any] = {"name": workload.name}
    if workload.notes:
        data["notes"] = list(workload.notes)
    data["tensors"] = {
        name: {k: v for k, v in _tensor_record(t).items() if k != "name"}
        for name, t in workload.tensors.items()
    }
    data["ops"] = [_op_record(op) for op in workload.ops]
    return data


def write_yaml(workload: Workload, path: str | Path) -> None:
    write_text(
        path,
        yaml.safe_dump(workload_to_dict(workload), sort_keys=False, default_flow_style=None),
    )


def read_yaml(path: str | Path) -> Workload:
    text = read_text(path)
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with name, tensors and ops")
    if "generator" in data:
        return workload_from_spec(data, str(path))
    return build_workload(data, str(path))


# -- Parquet ------------------------------------------------------------------------------------


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a runtime dependency
        raise ArchsimError("Parquet traces need pyarrow: pip install pyarrow") from None
    return pa, pq


def write_parquet(workload: Workload, path: str | Path) -> None:
    pa, pq = _pyarrow()
    rows: dict[str, list] = {c: [] for c in ("record", "name", *_OP_COLUMNS, *_TENSOR_COLUMNS,
                                             "attrs")}  # fmt: skip
    for t in workload.tensors.values():
        rec = _tensor_record(t)
        attrs = {k: v for k, v in rec.items() if k not in ("name", *_TENSOR_COLUMNS)}
        _row(
            rows,
            "tensor",
            t.name,
            None,
            None,
            None,
            None,
            list(t.shape),
            t.dtype,
            t.role,
            t.copies,
            attrs,
        )
    for op in workload.ops:
        rec = _op_record(op)
        attrs = {k: v for k, v in rec.items() if k not in ("name", *_OP_COLUMNS)}
        _row(
            rows,
            "op",
            op.name,
            op.kind,
            list(op.inputs),
            list(op.outputs),
            op.repeat,
            None,
            None,
            None,
            None,
            attrs,
        )
    schema = pa.schema([
        ("record", pa.string()), ("name", pa.string()), ("kind", pa.string()),
        ("inputs", pa.list_(pa.string())), ("outputs", pa.list_(pa.string())),
        ("repeat", pa.int64()), ("shape", pa.list_(pa.int64())), ("dtype", pa.string()),
        ("role", pa.string()), ("copies", pa.int64()), ("attrs", pa.string()),
    ])  # fmt: skip
    header = {"format": FORMAT_TAG, "version": VERSION, "name": workload.name,
              "notes": workload.notes}  # fmt: skip
    table = pa.table(rows, schema=schema).replace_schema_metadata({"archsim": json.dumps(header)})
    with atomic_write(path) as tmp:
        pq.write_table(table, str(tmp), compression="zstd")


def _row(rows, record, name, kind, inputs, outputs, repeat, shape, dtype, role, copies, attrs):
    for key, value in (("record", record), ("name", name), ("kind", kind), ("inputs", inputs),
                       ("outputs", outputs), ("repeat", repeat), ("shape", shape),
                       ("dtype", dtype), ("role", role), ("copies", copies)):  # fmt: skip
        rows[key].append(value)
    rows["attrs"].append(json.dumps(attrs) if attrs else None)


def read_parquet(path: str | Path) -> Workload:
    pa, pq = _pyarrow()
    try:
        table = pq.read_table(str(path))
    except (pa.ArrowInvalid, OSError) as exc:
        raise TraceError(str(path), None, f"not a readable Parquet file: {exc}") from None
    meta = table.schema.metadata or {}
    try:
        header = json.loads(meta[b"archsim"])
    except (KeyError, json.JSONDecodeError):
        raise TraceError(str(path), None, "a Parquet file without an archsim header") from None
    missing = {"record", "name", "attrs"} - set(table.column_names)
    if missing:
        raise TraceError(str(path), None, f"missing columns {', '.join(sorted(missing))}")
    tensors, ops = [], []
    for i, row in enumerate(table.to_pylist()):
        try:
            attrs = json.loads(row["attrs"]) if row.get("attrs") else {}
        except json.JSONDecodeError:
            raise TraceError(str(path), None, f"row {i}: attrs is not JSON") from None
        if row["record"] == "tensor":
            fields = {c: row.get(c) for c in _TENSOR_COLUMNS if row.get(c) is not None}
            tensors.append({"name": row["name"], **fields, **attrs})
        elif row["record"] == "op":
            fields = {c: row.get(c) for c in _OP_COLUMNS if row.get(c) is not None}
            ops.append({"name": row["name"], **fields, **attrs})
        else:
            raise TraceError(str(path), None, f"row {i}: record must be tensor or op")
    data = {"name": header.get("name", Path(path).stem), "tensors": tensors, "ops": ops,
            "notes": header.get("notes", [])}  # fmt: skip
    return build_workload(data, str(path))


# -- dispatch -----------------------------------------------------------------------------------

READERS = {"jsonl": read_jsonl, "yaml": read_yaml, "parquet": read_parquet}
WRITERS = {"jsonl": write_jsonl, "yaml": write_yaml, "parquet": write_parquet}


def read_workload(path: str | Path, fmt: str | None = None) -> Workload:
    """Read an operator trace (format from ``fmt``, the suffix, or the content)."""
    path = Path(path)
    if not path.is_file():
        raise TraceError(str(path), None, "no such file")
    fmt = fmt or format_of(path)
    if fmt not in READERS:
        raise TraceError(
            str(path),
            None,
            "not an operator trace; name it .jsonl, .jsonl.gz, .yaml or .parquet",
        )
    return READERS[fmt](path)


def write_workload(workload: Workload, path: str | Path, fmt: str | None = None) -> str:
    """Write ``workload``; the format comes from ``fmt`` or the suffix. Returns the format."""
    fmt = fmt or suffix_format(path)
    if fmt not in WRITERS:
        raise ArchsimError(
            f"{path}: cannot tell the format; use a .jsonl, .jsonl.gz, .yaml or .parquet suffix"
        )
    WRITERS[fmt](workload, path)
    return fmt
