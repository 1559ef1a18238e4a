"""Memory-level traces: format detection, streaming reader, writer.

Formats (plain text or gzip, detected from the content):

* ``native``: ``<arrival_ps> <R|W> <address>`` per line, arrival in integer picoseconds,
  non-decreasing; an optional first line ``# archsim memory trace v1``. ``#`` starts a comment.
* ``ramulator``: Ramulator 2 load/store trace, ``LD <address>`` / ``ST <address>``; no times, so
  requests are issued as fast as the controller queues accept them.
* ``dramsim3``: ``<address> READ|WRITE <cycle>``, the cycle counted in the memory clock (tCK);
  as in DRAMsim3 the address is hexadecimal with or without ``0x``.

Other addresses are decimal or ``0x`` hexadecimal byte addresses. The reader streams the file
in blocks, so memory use does not grow with trace length.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from archsim.errors import TraceError
from archsim.outputs import atomic_write
from archsim.workload.memtrace_parse import (
    ERR_NONE,
    ERROR_TEXT,
    FMT_DRAMSIM3,
    FMT_NATIVE,
    FMT_RAMULATOR,
    parse_block,
)

TraceFormat = Literal["native", "ramulator", "dramsim3"]
FORMATS: dict[str, int] = {
    "native": FMT_NATIVE,
    "ramulator": FMT_RAMULATOR,
    "dramsim3": FMT_DRAMSIM3,
}
TIME_UNIT = {"native": "ps", "ramulator": None, "dramsim3": "cycle"}
NATIVE_HEADER = "# archsim memory trace v1"
EXPECTED_LINE = {
    "native": "'<arrival_ps> R|W <address>', e.g. '0 R 0x1f40'",
    "ramulator": "'LD <address>' or 'ST <address>', e.g. 'LD 0x1f40'",
    "dramsim3": "'<address> READ|WRITE <cycle>', e.g. '0x1f40 READ 120'",
}
_BLOCK_BYTES = 4 << 20


@dataclass(frozen=True)
class MemoryRequests:
    """One block of requests in trace order."""

    arrival: np.ndarray  # int64, in the format's time unit (0 where the format has none)
    is_write: np.ndarray  # bool
    address: np.ndarray  # uint64 byte addresses
    line: np.ndarray  # int64, 1-based line number in the file

    def __len__(self) -> int:
        return int(self.arrival.shape[0])


def _open(path: Path) -> io.BufferedIOBase:
    if path.is_dir():
        raise TraceError(str(path), None, "is a directory, not a trace file")
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise TraceError(str(path), None, f"cannot be read ({exc.strerror})") from None
    magic = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if magic == b"\x1f\x8b":
        raw.close()
        if not path.name.endswith(".gz"):
            # Streamed either way, but a compressed file under a text name is usually a
            # mistake (and `trace info` would read its text view of it); say so.
            raise TraceError(
                str(path), None, "is gzip-compressed but not named .gz; rename it FILE.gz"
            )
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return raw


@contextlib.contextmanager
def _compressed_errors(path: Path) -> Iterator[None]:
    """A truncated or corrupt .gz is one line naming the file (click printed "Aborted!")."""
    try:
        yield
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise TraceError(
            str(path), None, f"the compressed data is truncated or corrupt ({exc})"
        ) from None


def detect_format(path: str | Path) -> TraceFormat:
    """Guess the format from the first request line (or the native header)."""
    path = Path(path)
    with _compressed_errors(path), _open(path) as f:
        for number, raw in enumerate(f, start=1):
            text = raw.decode("utf-8", "replace").strip()
            if number == 1 and text.startswith(NATIVE_HEADER):
                return "native"
            if not text or text.startswith("#"):
                if number > 10_000:
                    break
                continue
            tokens = text.split()
            if tokens[0].upper() in ("LD", "ST"):
                return "ramulator"
            if len(tokens) >= 2 and tokens[1].upper() in ("READ", "WRITE"):
                return "dramsim3"
            if len(tokens) >= 2 and tokens[1].upper() in ("R", "W"):
                return "native"
            raise TraceError(
                str(path),
                number,
                f"cannot tell the trace format from {text[:60]!r}; expected one of: "
                + "; ".join(f"{k}: {v}" for k, v in EXPECTED_LINE.items()),
            )
    raise TraceError(str(path), None, "the trace holds no requests")


def read_trace(
    path: str | Path, fmt: str = "auto", block_bytes: int = _BLOCK_BYTES
) -> tuple[TraceFormat, Iterator[MemoryRequests]]:
    """Open a trace; return its format and an iterator over blocks of requests."""
    path = Path(path)
    if not path.is_file():
        raise TraceError(str(path), None, "no such file")
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt not in FORMATS:
        raise TraceError(str(path), None, f"unknown format {fmt!r}; use auto, {', '.join(FORMATS)}")
    return fmt, _blocks(path, fmt, block_bytes)  # type: ignore[return-value]


def _blocks(path: Path, fmt: str, block_bytes: int) -> Iterator[MemoryRequests]:
    code = FORMATS[fmt]
    base_line = 0
    last_time = np.int64(0)
    carry = b""
    tokens = np.empty((2, 4), dtype=np.int64)  # the parser's scratch
    with _compressed_errors(path), _open(path) as f:
        while True:
            chunk = f.read(block_bytes)
            eof = not chunk
            data = carry + chunk
            if not eof:
                cut = data.rfind(b"\n")
                if cut < 0:
                    carry = data
                    continue
                data, carry = data[: cut + 1], data[cut + 1 :]
            else:
                carry = b""
            if data:
                buf = np.frombuffer(data, dtype=np.uint8)
                lines = data.count(b"\n") + 1
                arrival = np.empty(lines, dtype=np.int64)
                is_write = np.empty(lines, dtype=np.bool_)
                address = np.empty(lines, dtype=np.uint64)
                line_of = np.empty(lines, dtype=np.int64)
                n, used, err_line, err, last_time = parse_block(
                    buf, code, arrival, is_write, address, line_of, last_time, tokens
                )
                if err != ERR_NONE:
                    bad = data.split(b"\n")[err_line].decode("utf-8", "replace").strip()
                    raise TraceError(
                        str(path),
                        base_line + err_line + 1,
                        f"{ERROR_TEXT[err]} in {bad[:80]!r};"
                        f" a {fmt} line reads {EXPECTED_LINE[fmt]}",
                    )
                base_line += used
                if n:
                    yield MemoryRequests(
                        arrival[:n], is_write[:n], address[:n], line_of[:n] + (base_line - used + 1)
                    )
            if eof:
                return


def write_trace(
    path: str | Path,
    arrival: np.ndarray,
    is_write: np.ndarray,
    address: np.ndarray,
    fmt: TraceFormat = "native",
    chunk: int = 1 << 16,
) -> None:
    """Write requests in ``fmt`` (``arrival`` in its time unit); a ``.gz`` suffix compresses."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with atomic_write(path) as tmp, opener(tmp, "wt") as f:  # type: ignore[operator]
        if fmt == "native":
            f.write(NATIVE_HEADER + "\n# arrival_ps op address\n")
        for lo in range(0, len(address), chunk):
            hi = min(lo + chunk, len(address))
            a = address[lo:hi].tolist()
            w = is_write[lo:hi].tolist()
            t = arrival[lo:hi].tolist()
            rows = zip(t, w, a, strict=True)
            if fmt == "native":
                lines = [f"{ti} {'W' if wi else 'R'} 0x{ai:x}" for ti, wi, ai in rows]
            elif fmt == "ramulator":
                lines = [f"{'ST' if wi else 'LD'} 0x{ai:x}" for _, wi, ai in rows]
            elif fmt == "dramsim3":
                lines = [f"0x{ai:x} {'WRITE' if wi else 'READ'} {ti}" for ti, wi, ai in rows]
            else:
                raise ValueError(f"unknown trace format {fmt!r}")
            f.write("\n".join(lines))
            f.write("\n")
