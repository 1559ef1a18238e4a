"""Request queues and the bank state the scheduler reads.

Per channel a read and a write queue (``q``/``order``, with the scanned fields mirrored in
queue order in ``hot``), per bank a summary of its queued entries (``bq``: count, oldest row
hit, oldest other entry) and the list of banks with work (``alist``), so FR-FCFS walks banks,
not entries. Also the write-drain mode and each rank's active/precharged time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from archsim.memory.kernel.layout import (
    BQ_HIT,
    BQ_N,
    BQ_OTHER,
    BQ_POS,
    CF_AN0,
    CF_HITS0,
    CF_MODE,
    CF_RQ_N,
    CF_WQ_N,
    H_GB,
    H_ROW,
    H_SEQ,
    INF,
    P_HIGH,
    P_LOW,
    RF_ACTIVE_CYC,
    RF_IDLE_CYC,
    RF_LAST,
    RF_OPEN,
)


@njit(cache=True, inline="always", _nrt=False)
def _set_open(rk, t, delta, rk_st):
    """Track per-rank active (any bank open) vs precharged time for background energy."""
    before = rk_st[rk, RF_OPEN]
    after = before + delta
    if before == 0 and after > 0:
        rk_st[rk, RF_IDLE_CYC] += t - rk_st[rk, RF_LAST]
        rk_st[rk, RF_LAST] = t
    elif before > 0 and after == 0:
        rk_st[rk, RF_ACTIVE_CYC] += t - rk_st[rk, RF_LAST]
        rk_st[rk, RF_LAST] = t
    rk_st[rk, RF_OPEN] = after


@njit(cache=True, inline="always", _nrt=False)
def _set_hits(c, gb, qi, value, hits, ch_st):
    ch_st[c, CF_HITS0 + qi] += value - hits[gb, qi]
    hits[gb, qi] = value


@njit(cache=True, inline="always", _nrt=False)
def _set_count(c, gb, qi, count, bq, alist, ch_st):
    """Set a bank's queued-entry count, adding it to or removing it from the active list."""
    before = bq[gb, qi, BQ_N]
    bq[gb, qi, BQ_N] = count
    if before == 0 and count > 0:
        k = ch_st[c, CF_AN0 + qi]
        alist[c, qi, k] = gb
        bq[gb, qi, BQ_POS] = k
        ch_st[c, CF_AN0 + qi] = k + 1
    elif before > 0 and count == 0:
        k = bq[gb, qi, BQ_POS]
        last = ch_st[c, CF_AN0 + qi] - 1
        moved = alist[c, qi, last]
        alist[c, qi, k] = moved
        bq[moved, qi, BQ_POS] = k
        ch_st[c, CF_AN0 + qi] = last


@njit(cache=True, inline="always", _nrt=False)
def _rebank(c, gb, open_row, hot, ch_st, hits, bq, alist):
    """Recompute bank ``gb``'s queue summary after its open row or its entries changed."""
    orow = open_row[gb]
    for qi in range(2):
        if bq[gb, qi, BQ_N] == 0 and hits[gb, qi] == 0:
            continue  # nothing queued for this bank: the summary is already empty
        n = ch_st[c, CF_RQ_N + qi]
        count = 0
        n_hit = 0
        hit_seq = INF
        other_seq = INF
        for i in range(np.uint64(n)):  # branch-free (unpredictable); unsigned: no wraparound
            mine = hot[c, qi, H_GB, i] == gb
            is_hit = mine & (hot[c, qi, H_ROW, i] == orow)
            seq = hot[c, qi, H_SEQ, i]
            count += mine
            n_hit += is_hit
            hit_seq = min(hit_seq, seq if is_hit else INF)
            other_seq = min(other_seq, seq if mine and not is_hit else INF)
        _set_hits(c, gb, qi, n_hit, hits, ch_st)
        bq[gb, qi, BQ_HIT] = hit_seq
        bq[gb, qi, BQ_OTHER] = other_seq
        _set_count(c, gb, qi, count, bq, alist, ch_st)


@njit(cache=True, inline="always", _nrt=False)
def _close_bank(c, gb, hits, bq, ch_st):
    """Bank ``gb``'s queue summary after its row closed: what :func:`_rebank` would compute.

    Every entry of the bank becomes an other entry and the count does not change, so the
    oldest other entry is the older of the oldest hit and the oldest other entry.
    """
    for qi in range(2):
        hs = bq[gb, qi, BQ_HIT]
        if hs < bq[gb, qi, BQ_OTHER]:
            bq[gb, qi, BQ_OTHER] = hs
        bq[gb, qi, BQ_HIT] = INF
        _set_hits(c, gb, qi, 0, hits, ch_st)


@njit(cache=True, inline="always", _nrt=False)
def _served_last_hit(c, gb, qi, closed, hits, bq, alist, ch_st):
    """Bank ``gb``'s queue summary once a column command served its only row hit in queue
    ``qi`` (and closed the row if ``closed``): what :func:`_rebank` would compute, in O(1).

    The bank keeps its other entries, whose oldest does not change; a closed row turns the
    other queue's hits into other entries too (:func:`_close_bank`).
    """
    _set_hits(c, gb, qi, 0, hits, ch_st)
    bq[gb, qi, BQ_HIT] = INF
    _set_count(c, gb, qi, bq[gb, qi, BQ_N] - 1, bq, alist, ch_st)
    if closed:
        _close_bank(c, gb, hits, bq, ch_st)


@njit(cache=True, inline="always", _nrt=False)
def _update_mode(c, p, ch_st):
    nr, nw = ch_st[c, CF_RQ_N], ch_st[c, CF_WQ_N]
    if ch_st[c, CF_MODE] == 0:
        if nw >= p[P_HIGH] or (nr == 0 and nw > 0):
            ch_st[c, CF_MODE] = 1
    elif nw == 0 or (nr > 0 and nw <= p[P_LOW]):
        ch_st[c, CF_MODE] = 0
