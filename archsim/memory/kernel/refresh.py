"""Refresh: when it falls due, what it needs first, and skipping an idle memory's refreshes.

All-bank refresh (REFab) precharges every bank of the rank and then refreshes it; per-bank
refresh (REFpb, or same-bank REFsb on one bank of every group) walks the rank's banks in turn,
bank groups fastest. A due refresh goes before any request on its rank.
"""

from __future__ import annotations

from numba import njit

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
    P_R,
    P_REFI,
    P_REFIPB,
    P_REFMODE,
    P_SAMEBANK,
    REFMODE_ALL,
    REFMODE_NONE,
    RF_OPEN,
    RF_PB_NEXT,
    RF_REF_DUE,
    RF_REF_PEND,
)


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
