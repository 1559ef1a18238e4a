"""Memory trace formats: round trips, detection, streaming, and errors that name file:line."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from archsim.errors import TraceError
from archsim.workload.memtrace import detect_format, read_trace, write_trace
from archsim.workload.memtrace_gen import MemoryTraceSpec, generate


def _read_all(path, fmt="auto", block_bytes=4 << 20):
    fmt, blocks = read_trace(path, fmt, block_bytes)
    blocks = list(blocks)
    cat = {
        k: np.concatenate([getattr(b, k) for b in blocks])
        for k in ("arrival", "is_write", "address", "line")
    }
    return fmt, cat


@pytest.mark.parametrize("fmt", ["native", "ramulator", "dramsim3"])
@pytest.mark.parametrize("suffix", [".trace", ".trace.gz"])
def test_round_trip_and_detection(tmp_path, fmt, suffix):
    spec = MemoryTraceSpec(
        "random", 5000, 0.6, 1 << 32, interval=0 if fmt == "ramulator" else 3, seed=4
    )
    arrival, is_write, address = generate(spec)
    path = tmp_path / f"t{suffix}"
    write_trace(path, arrival, is_write, address, fmt)
    assert detect_format(path) == fmt
    got_fmt, got = _read_all(path)
    assert got_fmt == fmt
    np.testing.assert_array_equal(got["address"], address)
    np.testing.assert_array_equal(got["is_write"], is_write)
    if fmt != "ramulator":
        np.testing.assert_array_equal(got["arrival"], arrival)


def test_small_blocks_give_identical_requests(tmp_path):
    arrival, is_write, address = generate(MemoryTraceSpec("random", 3000, 0.5, 1 << 30, seed=1))
    path = tmp_path / "t.trace"
    write_trace(path, arrival, is_write, address, "native")
    _, whole = _read_all(path)
    _, pieces = _read_all(path, block_bytes=97)  # blocks cut mid-line
    for key in whole:
        np.testing.assert_array_equal(whole[key], pieces[key])


def test_line_numbers_count_comments_and_blank_lines(tmp_path):
    path = tmp_path / "t.trace"
    path.write_text("# header\n\nLD 0x40\n# note\nST 64\n")
    _, got = _read_all(path)
    assert got["line"].tolist() == [3, 5]
    assert got["address"].tolist() == [64, 64]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("LD 0x40\nLD 0xZZ\n", 2, "address"),
        ("LD 0x40\nXX 0x40\n", 2, "unknown operation"),
        ("0 R 0x40\n5 R\n", 2, "wrong number of fields"),
        ("10 R 0x40\n5 W 0x80\n", 2, "earlier than the previous"),
        ("0x40 READ 1\n0x80 READ -4\n", 2, "arrival time"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "bad.trace"
    path.write_text(text)
    with pytest.raises(TraceError) as info:
        _read_all(path)
    assert f"bad.trace:{line}:" in str(info.value)
    assert message in str(info.value)


def test_malformed_line_in_a_later_block_has_the_right_number(tmp_path):
    path = tmp_path / "big.trace.gz"
    lines = [f"LD {64 * i:#x}" for i in range(20000)]
    lines[15321] = "LD nope"
    with gzip.open(path, "wt") as f:
        f.write("\n".join(lines) + "\n")
    with pytest.raises(TraceError, match=r"big.trace.gz:15322:"):
        _read_all(path, block_bytes=4096)


def test_dramsim3_addresses_are_hex_even_without_prefix(tmp_path):
    path = tmp_path / "d.trace"
    path.write_text("2000 READ 0\n0x1f40 WRITE 3\n1F40 READ 7\n")
    _, got = _read_all(path, "dramsim3")
    assert got["address"].tolist() == [0x2000, 0x1F40, 0x1F40]
    assert got["is_write"].tolist() == [False, True, False]


def test_undetectable_format_is_a_clear_error(tmp_path):
    path = tmp_path / "x.trace"
    path.write_text("hello world again\n")
    with pytest.raises(TraceError, match="cannot tell the trace format"):
        detect_format(path)


def test_missing_file(tmp_path):
    with pytest.raises(TraceError, match="no such file"):
        read_trace(tmp_path / "nope.trace")


def test_generators_are_deterministic_and_bounded():
    a = generate(MemoryTraceSpec("strided", 1000, 0.5, 1 << 20, stride_bytes=4096, seed=3))
    b = generate(MemoryTraceSpec("strided", 1000, 0.5, 1 << 20, stride_bytes=4096, seed=3))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert int(a[2].max()) < 1 << 20
    assert (a[2] % 64 == 0).all()
