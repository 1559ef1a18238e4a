"""Issuing a host or refresh command: the state it changes, its constraints, its outputs.

Inlined at its one call site in the scheduler: opens or closes the bank (a close updates the
bank's queue summary in O(1), an open rescans the bank's entries), serves and dequeues the
request of a column command (latency, row-hit and completion accounting), advances a refresh,
then applies the command's constraints, takes its command bus and logs it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from archsim.memory.commands import ACT, PRE, RDA, REFAB, REFPB, WRA
from archsim.memory.kernel.layout import (
    CF_BUS_COL,
    CF_BUS_ROW,
    CF_RQ_N,
    CNT_ACT,
    CNT_HIT_R,
    CNT_HIT_W,
    CNT_LAST_DATA,
    CNT_LAT_MAX,
    CNT_LAT_SUM,
    CNT_PRE,
    CNT_RDA,
    CNT_READS,
    CNT_REFAB,
    CNT_REFPB,
    CNT_WRA,
    CNT_WRITES,
    G_COMP_N,
    G_DEMAND,
    G_LOG_N,
    G_NEXT_REF,
    G_QUEUED,
    HIST_BINS,
    N_H,
    P_BG,
    P_BL,
    P_BPG,
    P_CL,
    P_CWL,
    P_DUAL,
    P_LOG,
    P_R,
    P_RECORD,
    P_REFI,
    P_REFIPB,
    P_SAMEBANK,
    QF_ACT,
    QF_ENQ,
    QF_ID,
    RF_FAW_I,
    RF_FAW_N,
    RF_PB_NEXT,
    RF_REF_DUE,
    RF_REF_PEND,
)
from archsim.memory.kernel.queues import _close_bank, _rebank, _served_last_hit, _set_open
from archsim.memory.kernel.timing import _apply, _is_row_cmd, _take_bus


@njit(cache=True, inline="always", _nrt=False)
def _issue(
    cmd,
    t,
    c,
    r,
    bg,
    b,
    row,
    col,
    qi,
    idx,
    p,
    cs_start,
    cs_tab,
    na,
    open_row,
    hits,
    q,
    order,
    hot,
    bq,
    alist,
    ch_st,
    rk_st,
    faw,
    cnt,
    hist,
    g,
    log,
    comp,
):
    """Issue one command: update bank/rank/queue state, constraints, counters, and logs."""
    R, BG, BPG = p[P_R], p[P_BG], p[P_BPG]
    rk = c * R + r
    gb = (rk * BG + bg) * BPG + b
    if cmd == ACT:
        open_row[gb] = row
        _set_open(rk, t, 1, rk_st)
        i = rk_st[rk, RF_FAW_I]
        if rk_st[rk, RF_FAW_N] < 4:
            faw[rk, (i + rk_st[rk, RF_FAW_N]) % 4] = t
            rk_st[rk, RF_FAW_N] += 1
        else:
            faw[rk, i] = t
            rk_st[rk, RF_FAW_I] = (i + 1) % 4
        q[c, qi, order[c, qi, idx], QF_ACT] = 1
        g[G_DEMAND] += 1
        _rebank(c, gb, open_row, hot, ch_st, hits, bq, alist)
        cnt[c, CNT_ACT] += 1
    elif cmd == PRE:
        open_row[gb] = -1
        _close_bank(c, gb, hits, bq, ch_st)
        _set_open(rk, t, -1, rk_st)
        cnt[c, CNT_PRE] += 1
    elif cmd == REFAB:
        rk_st[rk, RF_REF_PEND] = 0
        rk_st[rk, RF_REF_DUE] += p[P_REFI]
        g[G_NEXT_REF] = min(g[G_NEXT_REF], rk_st[rk, RF_REF_DUE])
        cnt[c, CNT_REFAB] += 1
    elif cmd == REFPB:
        rk_st[rk, RF_REF_PEND] = 0
        rk_st[rk, RF_REF_DUE] += p[P_REFIPB]
        g[G_NEXT_REF] = min(g[G_NEXT_REF], rk_st[rk, RF_REF_DUE])
        units = BPG if p[P_SAMEBANK] == 1 else BG * BPG
        rk_st[rk, RF_PB_NEXT] = (rk_st[rk, RF_PB_NEXT] + 1) % units
        cnt[c, CNT_REFPB] += 1
    else:  # column command: serve and dequeue the request
        slot = order[c, qi, idx]
        rid = q[c, qi, slot, QF_ID]
        enq = q[c, qi, slot, QF_ENQ]
        demand_act = q[c, qi, slot, QF_ACT]
        n = ch_st[c, CF_RQ_N + qi]
        # Unsigned positions: numba indexes them without negative-index wraparound, and the
        # shifts compile to plain copy loops.
        u1 = np.uint64(1)
        for i in range(np.uint64(idx), np.uint64(n - 1)):
            order[c, qi, i] = order[c, qi, i + u1]
        order[c, qi, n - 1] = slot
        for f in range(N_H):
            for i in range(np.uint64(idx), np.uint64(n - 1)):
                hot[c, qi, f, i] = hot[c, qi, f, i + u1]
        ch_st[c, CF_RQ_N + qi] = n - 1
        g[G_QUEUED] -= 1
        if qi == 0:
            done = t + p[P_CL] + p[P_BL]
            lat = done - enq
            cnt[c, CNT_READS] += 1
            cnt[c, CNT_LAT_SUM] += lat
            if lat > cnt[c, CNT_LAT_MAX]:
                cnt[c, CNT_LAT_MAX] = lat
            if lat < HIST_BINS:
                hist[lat] += 1
            if demand_act == 0:
                cnt[c, CNT_HIT_R] += 1
        else:
            done = t + p[P_CWL] + p[P_BL]
            cnt[c, CNT_WRITES] += 1
            if demand_act == 0:
                cnt[c, CNT_HIT_W] += 1
        if done > cnt[c, CNT_LAST_DATA]:
            cnt[c, CNT_LAST_DATA] = done
        if cmd == RDA or cmd == WRA:
            open_row[gb] = -1
            _set_open(rk, t, -1, rk_st)
            if cmd == RDA:
                cnt[c, CNT_RDA] += 1
            else:
                cnt[c, CNT_WRA] += 1
        if hits[gb, qi] > 1:  # more hits on the row are queued: find the next oldest
            _rebank(c, gb, open_row, hot, ch_st, hits, bq, alist)
        else:
            _served_last_hit(c, gb, qi, open_row[gb] < 0, hits, bq, alist, ch_st)
        if p[P_RECORD] == 1:
            k = g[G_COMP_N]
            comp[k, 0] = rid
            comp[k, 1] = done
            g[G_COMP_N] = k + 1
    _apply(cmd, t, c, r, bg, b, p, cs_start, cs_tab, na)
    if p[P_DUAL] == 1 and not _is_row_cmd(cmd):
        _take_bus(c, CF_BUS_COL, t, p, ch_st)
    else:
        _take_bus(c, CF_BUS_ROW, t, p, ch_st)
    if p[P_LOG] == 1:
        k = g[G_LOG_N]
        log[k, 0] = t
        log[k, 1] = cmd
        log[k, 2] = c
        log[k, 3] = r
        log[k, 4] = bg
        log[k, 5] = b
        log[k, 6] = row
        log[k, 7] = col
        g[G_LOG_N] = k + 1
