"""Refresh: when it falls due, what it needs first, and skipping an idle memory's refreshes.

All-bank refresh (REFab) precharges every bank of the rank and then refreshes it; per-bank
refresh (REFpb, or same-bank REFsb on one bank of every group) walks the rank's banks in turn,
bank groups fastest. A due refresh goes before any request on its rank.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from archsim.memory.commands import PRE, REFAB, REFPB
from archsim.memory.kernel.layout import (
    CF_BUS_COL,
    CF_BUS_ROW,
    CF_CUR,
    CF_PIM_NEXT,
    CF_PQ_N,
    CF_WAKE,
    CNT_LAST_DATA,
    CNT_REFAB,
    CNT_REFPB,
    G_HEAD_T,
    G_NEXT_REF,
    G_QUEUED,
    INF,
    P_BG,
    P_BPG,
    P_C,
    P_GUARD,
    P_LOG,
    P_O_BK,
    P_R,
    P_REFI,
    P_REFIPB,
    P_REFMODE,
    P_SAMEBANK,
    REFMODE_ALL,
    REFMODE_NONE,
    REFMODE_PB,
    RF_OPEN,
    RF_PB_NEXT,
    RF_REF_DUE,
    RF_REF_PEND,
)
from archsim.memory.kernel.timing import _earliest


@njit(cache=True, inline="always", _nrt=False)
def _pb_target(rk, p, rk_st):
    """(bank group or -1 for every group, bank) of a rank's next per-bank refresh."""
    u = rk_st[rk, RF_PB_NEXT]
    if p[P_SAMEBANK] == 1:
        return -1, u
    # Walk bank groups fastest so consecutive refreshes land in different groups.
    return u % p[P_BG], u // p[P_BG]


@njit(cache=True, inline="always", _nrt=False)
def _in_refresh(rk, bg, b, p, rk_st):
    """Whether a pending refresh blocks new work on bank (bg, b) of rank ``rk``."""
    if rk_st[rk, RF_REF_PEND] == 0:
        return False
    if p[P_REFMODE] == REFMODE_ALL:
        return True
    tbg, tb = _pb_target(rk, p, rk_st)
    return tb == b and (tbg < 0 or tbg == bg)


@njit(cache=True, inline="always", _nrt=False)
def _refresh_due(t, p, ch_st, rk_st, g):
    """Mark the ranks whose refresh is due at ``t`` pending (and wake their channels)."""
    if g[G_NEXT_REF] <= t:
        C, R = p[P_C], p[P_R]
        next_ref = INF
        for rk in range(C * R):
            if rk_st[rk, RF_REF_PEND] == 0:
                if rk_st[rk, RF_REF_DUE] <= t:
                    rk_st[rk, RF_REF_PEND] = 1
                    ch_st[rk // R, CF_WAKE] = t
                elif rk_st[rk, RF_REF_DUE] < next_ref:
                    next_ref = rk_st[rk, RF_REF_DUE]
        g[G_NEXT_REF] = next_ref


@njit(cache=True, inline="always", _nrt=False)
def _refresh_pick(c, t, p, na, open_row, ch_st, rk_st, faw):
    """The refresh work of channel ``c``'s pending refreshes ready at ``t``, if any.

    Returns (refreshing, best_next, cmd, rank, group, bank, row): whether a refresh is pending,
    the earliest cycle its next command is ready, and that command if it is ready now (-1 if
    not): a PRE of an open bank it covers, then the refresh itself.
    """
    R, BG, BPG = p[P_R], p[P_BG], p[P_BPG]
    best_next = INF
    sel_cmd = -1
    sel_r = sel_bg = sel_b = sel_row = -1
    refreshing = False
    refreshing = False
    if p[P_REFMODE] != REFMODE_NONE:
        for r in range(R):
            rk = c * R + r
            if rk_st[rk, RF_REF_PEND] == 0:
                continue
            refreshing = True
            if p[P_REFMODE] == REFMODE_ALL:
                g_lo, g_hi, b_lo, b_hi = 0, BG, 0, BPG
            else:
                tbg, tb = _pb_target(rk, p, rk_st)
                g_lo, g_hi = (0, BG) if tbg < 0 else (tbg, tbg + 1)
                b_lo, b_hi = tb, tb + 1
            all_closed = True
            ref_e = np.int64(0)
            for bg in range(g_lo, g_hi):
                for b in range(b_lo, b_hi):
                    gb = (rk * BG + bg) * BPG + b
                    if open_row[gb] >= 0:
                        all_closed = False
                        e = _earliest(PRE, c, rk, rk * BG + bg, gb, p, na, ch_st, rk_st, faw)
                        if e <= t and sel_cmd < 0:
                            sel_cmd, sel_r, sel_bg, sel_b, sel_row = PRE, r, bg, b, open_row[gb]
                        best_next = min(best_next, e)
                    elif p[P_REFMODE] == REFMODE_PB:
                        ref_e = max(ref_e, na[p[P_O_BK] + gb, REFPB])
            if all_closed and sel_cmd < 0:
                if p[P_REFMODE] == REFMODE_ALL:
                    e = _earliest(REFAB, c, rk, -1, -1, p, na, ch_st, rk_st, faw)
                    if e <= t:
                        sel_cmd, sel_r = REFAB, r
                else:
                    tbg, tb = _pb_target(rk, p, rk_st)
                    gbg = rk * BG + tbg if tbg >= 0 else -1
                    gb = (rk * BG + tbg) * BPG + tb if tbg >= 0 else -1
                    e = max(ref_e, _earliest(REFPB, c, rk, gbg, gb, p, na, ch_st, rk_st, faw))
                    if e <= t:
                        sel_cmd, sel_r, sel_bg, sel_b = REFPB, r, tbg, tb
                best_next = min(best_next, e)
    return refreshing, best_next, sel_cmd, sel_r, sel_bg, sel_b, sel_row


@njit(cache=True, _nrt=False)
def _skip_idle(t, t_next, p, st_na, ch_st, rk_st, faw, cnt, g, arrival, corder, cstart):
    """Jump over whole refresh periods of an idle memory in closed form; return the new cycle.

    An idle memory (nothing queued, every bank closed, no refresh pending) only refreshes, and
    once every rank has refreshed twice since the last data beat plus ``GUARD``, its state
    repeats with the refresh period (``tREFI``, or the per-bank interval times the refresh
    units, so the per-bank rotation comes back to the same bank): shifting every time-valued
    entry by whole periods and counting their refreshes is exactly what stepping would do. The
    jump stops at least one period plus ``GUARD`` before the next arrival, which is then
    simulated as usual. Without it a long gap costs one loop pass per refresh (a 1 s gap is 4 M
    passes on DDR4); with it, a constant.
    """
    if p[P_REFMODE] == REFMODE_NONE or p[P_LOG] == 1 or g[G_QUEUED] != 0:
        return t_next
    if t_next != g[G_NEXT_REF]:
        return t_next
    C, R = p[P_C], p[P_R]
    if p[P_REFMODE] == REFMODE_ALL:
        units = 1
        period = p[P_REFI]
    else:
        units = p[P_BPG] if p[P_SAMEBANK] == 1 else p[P_BG] * p[P_BPG]
        period = p[P_REFIPB] * units
    per = p[P_REFI] if p[P_REFMODE] == REFMODE_ALL else p[P_REFIPB]
    # The next arrival of any channel's next request.
    a_min = INF
    for c in range(C):
        if ch_st[c, CF_PQ_N] != 0:
            return t_next
        k = cstart[c] + ch_st[c, CF_CUR]
        if k < cstart[c + 1]:
            a_min = min(a_min, arrival[corder[k]])
        for r in range(R):
            rk = c * R + r
            if rk_st[rk, RF_OPEN] != 0 or rk_st[rk, RF_REF_PEND] != 0:
                return t_next
            # Two refresh periods issued since every constraint of the last access expired.
            if rk_st[rk, RF_REF_DUE] - 2 * period < cnt[c, CNT_LAST_DATA] + p[P_GUARD]:
                return t_next
    if a_min >= INF:
        return t_next
    k = (a_min - t_next - p[P_GUARD]) // period - 1
    if k < 1:
        return t_next
    delta = k * period
    for i in range(st_na.shape[0]):
        for j in range(st_na.shape[1]):
            st_na[i, j] += delta
    for rk in range(C * R):
        rk_st[rk, RF_REF_DUE] += delta
        for i in range(4):
            faw[rk, i] += delta
    for c in range(C):
        for f in (CF_BUS_ROW, CF_BUS_COL, CF_PIM_NEXT):
            ch_st[c, f] += delta
        if ch_st[c, CF_WAKE] < INF:
            ch_st[c, CF_WAKE] += delta
        cnt[c, CNT_REFAB if p[P_REFMODE] == REFMODE_ALL else CNT_REFPB] += R * k * (period // per)
    g[G_NEXT_REF] += delta
    if g[G_HEAD_T] >= 0:
        g[G_HEAD_T] += delta
    return t_next + delta
