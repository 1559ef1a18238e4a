"""numba parsers for memory-trace text: bytes in, request arrays out (no Python per line).

Each parser scans a block of complete lines and fills preallocated arrays. It returns the number
of requests, the number of lines consumed, and on a malformed line the line's index within the
block and an error code, so the caller can report ``file:line`` without a traceback.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from archsim.jit import load_from_cache_alone

FMT_NATIVE, FMT_RAMULATOR, FMT_DRAMSIM3 = 0, 1, 2

ERR_NONE = 0
ERR_FIELDS = 1  # wrong number of fields
ERR_OP = 2  # unknown operation
ERR_ADDRESS = 3  # not a number
ERR_TIME = 4  # not a non-negative integer
ERR_ORDER = 5  # arrival time goes backwards
ERR_HEX_ADDRESS = 6  # DRAMsim3 addresses are hexadecimal, 0x optional

ERROR_TEXT = {
    ERR_FIELDS: "wrong number of fields",
    ERR_OP: "unknown operation",
    ERR_ADDRESS: "address is not a decimal or 0x-hex number below 2**64",
    ERR_TIME: "arrival time is not a non-negative integer",
    ERR_ORDER: "arrival time is earlier than the previous request's",
    ERR_HEX_ADDRESS: "address is not a hexadecimal number below 2**64 (DRAMsim3 reads it as hex)",
}

_SPACE, _TAB, _CR, _NL, _HASH = 32, 9, 13, 10, 35


@njit(cache=True, inline="always")
def _is_space(ch):
    return ch == _SPACE or ch == _TAB or ch == _CR


@njit(cache=True)
def _parse_uint(buf, lo, hi, always_hex=False):
    """Decimal or 0x-hex unsigned integer in buf[lo:hi] (hex with or without 0x if
    ``always_hex``, as DRAMsim3 reads addresses); returns (value, ok)."""
    if hi <= lo:
        return np.uint64(0), False
    value = np.uint64(0)
    prefixed = hi - lo > 2 and buf[lo] == 48 and (buf[lo + 1] == 120 or buf[lo + 1] == 88)
    if prefixed or always_hex:
        first = lo + 2 if prefixed else lo
        if hi - first > 16 or hi == first:
            return value, False
        for k in range(first, hi):
            ch = buf[k]
            if 48 <= ch <= 57:
                d = ch - 48
            elif 97 <= ch <= 102:
                d = ch - 87
            elif 65 <= ch <= 70:
                d = ch - 55
            else:
                return value, False
            value = (value << np.uint64(4)) | np.uint64(d)
        return value, True
    limit = np.uint64(1844674407370955161)  # (2**64 - 1) // 10
    for k in range(lo, hi):
        ch = buf[k]
        if ch < 48 or ch > 57:
            return value, False
        d = np.uint64(ch - 48)
        if value > limit or (value == limit and d > np.uint64(5)):
            return value, False
        value = value * np.uint64(10) + d
    return value, True


@njit(cache=True)
def _token_is(buf, lo, hi, a, b, c, d, e):
    """Case-insensitive compare of buf[lo:hi] with up to five ASCII codes (0 = unused)."""
    codes = (a, b, c, d, e)
    n = 0
    for x in codes:
        if x != 0:
            n += 1
    if hi - lo != n:
        return False
    for k in range(n):
        ch = buf[lo + k]
        if 97 <= ch <= 122:
            ch -= 32
        if ch != codes[k]:
            return False
    return True


@njit(cache=True, nogil=True, _nrt=False)
def parse_block(buf, fmt, arrival, is_write, address, line_of, last_time, tokens):
    """Parse complete lines in ``buf`` into the output arrays (sized for the block's lines).

    Returns (requests, lines, error_line, error_code, last_time); ``error_line`` is the 0-based
    line index within the block. ``last_time`` carries the previous arrival across blocks so that
    time order is checked across block boundaries. ``tokens`` is scratch (int64, ``[2, 4]``): the
    start and end of each of a line's first four tokens. The parser allocates nothing, so it runs
    without numba's runtime (``_nrt=False``) and its cached code loads without numba's array
    module (:func:`archsim.jit.load_from_cache_alone`).
    """
    n = 0
    line = 0
    pos = 0
    size = buf.shape[0]
    starts = tokens[0]
    ends = tokens[1]
    while pos < size:
        end = pos
        while end < size and buf[end] != _NL:
            end += 1
        # Split the line into up to four whitespace-separated tokens.
        k = pos
        ntok = 0
        while k < end:
            while k < end and _is_space(buf[k]):
                k += 1
            if k >= end or buf[k] == _HASH:
                break
            lo = k
            while k < end and not _is_space(buf[k]):
                k += 1
            if ntok < 4:
                starts[ntok] = lo
                ends[ntok] = k
            ntok += 1
        if ntok > 0:
            t = np.int64(0)
            w = False
            if fmt == FMT_RAMULATOR:
                if ntok != 2:
                    return n, line, line, ERR_FIELDS, last_time
                if _token_is(buf, starts[0], ends[0], 76, 68, 0, 0, 0):  # LD
                    w = False
                elif _token_is(buf, starts[0], ends[0], 83, 84, 0, 0, 0):  # ST
                    w = True
                else:
                    return n, line, line, ERR_OP, last_time
                a, ok = _parse_uint(buf, starts[1], ends[1])
                if not ok:
                    return n, line, line, ERR_ADDRESS, last_time
            elif fmt == FMT_DRAMSIM3:
                if ntok != 3:
                    return n, line, line, ERR_FIELDS, last_time
                a, ok = _parse_uint(buf, starts[0], ends[0], True)
                if not ok:
                    return n, line, line, ERR_HEX_ADDRESS, last_time
                if _token_is(buf, starts[1], ends[1], 82, 69, 65, 68, 0):  # READ
                    w = False
                elif _token_is(buf, starts[1], ends[1], 87, 82, 73, 84, 69):  # WRITE
                    w = True
                else:
                    return n, line, line, ERR_OP, last_time
                tv, ok = _parse_uint(buf, starts[2], ends[2])
                if not ok or tv > np.uint64(1) << np.uint64(62):
                    return n, line, line, ERR_TIME, last_time
                t = np.int64(tv)
            else:
                if ntok != 3:
                    return n, line, line, ERR_FIELDS, last_time
                tv, ok = _parse_uint(buf, starts[0], ends[0])
                if not ok or tv > np.uint64(1) << np.uint64(62):
                    return n, line, line, ERR_TIME, last_time
                t = np.int64(tv)
                if _token_is(buf, starts[1], ends[1], 82, 0, 0, 0, 0):  # R
                    w = False
                elif _token_is(buf, starts[1], ends[1], 87, 0, 0, 0, 0):  # W
                    w = True
                else:
                    return n, line, line, ERR_OP, last_time
                a, ok = _parse_uint(buf, starts[2], ends[2])
                if not ok:
                    return n, line, line, ERR_ADDRESS, last_time
            if t < last_time:
                return n, line, line, ERR_ORDER, last_time
            last_time = t
            arrival[n] = t
            is_write[n] = w
            address[n] = a
            line_of[n] = line
            n += 1
        line += 1
        pos = end + 1
    return n, line, -1, ERR_NONE, last_time


load_from_cache_alone(parse_block)  # a cache hit skips numba's lowering registries (archsim.jit)
