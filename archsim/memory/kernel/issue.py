"""Issuing a host or refresh command: the state it changes, its constraints, its outputs.

Called from one site in the scheduler (keeping the compiled loop small enough to inline the
rest): opens or closes the bank, serves and dequeues the request of a column command (latency,
row-hit and completion accounting), advances a refresh, then applies the command's constraints,
takes its command bus and logs it.
"""

from __future__ import annotations

from numba import njit

from archsim.memory.commands import ACT, PRE, RDA, REFAB, REFPB, WRA
from archsim.memory.kernel.layout import (
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
    G_DEMAND,
    G_NEXT_REF,
    HIST_BINS,
    P_BG,
    P_BL,
    P_BPG,
    P_CL,
    P_CWL,
    P_LOG,
    P_R,
    P_RECORD,
    P_REFI,
    P_REFIPB,
    P_SAMEBANK,
    QF_ACT,
    QF_ENQ,
    QF_ID,
    RF_PB_NEXT,
    RF_REF_DUE,
    RF_REF_PEND,
)
from archsim.memory.kernel.log import _complete, _log_row
from archsim.memory.kernel.queues import _dequeue, _rebank, _set_open
from archsim.memory.kernel.timing import _apply, _faw_push, _is_row_cmd, _take_cmd_bus


@njit(cache=True, _nrt=False)
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
        _faw_push(rk, t, rk_st, faw)
        q[c, qi, order[c, qi, idx], QF_ACT] = 1
        g[G_DEMAND] += 1
        _rebank(c, gb, open_row, hot, ch_st, hits, bq, alist)
        cnt[c, CNT_ACT] += 1
    elif cmd == PRE:
        open_row[gb] = -1
        _rebank(c, gb, open_row, hot, ch_st, hits, bq, alist)
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
        slot = _dequeue(c, qi, idx, order, hot, ch_st, g)
        rid = q[c, qi, slot, QF_ID]
        enq = q[c, qi, slot, QF_ENQ]
        demand_act = q[c, qi, slot, QF_ACT]
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
        _rebank(c, gb, open_row, hot, ch_st, hits, bq, alist)
        if p[P_RECORD] == 1:
            _complete(g, comp, rid, done)
    _apply(cmd, t, c, r, bg, b, p, cs_start, cs_tab, na)
    _take_cmd_bus(c, _is_row_cmd(cmd), t, p, ch_st)
    if p[P_LOG] == 1:
        _log_row(g, log, t, cmd, c, r, bg, b, row, col)
