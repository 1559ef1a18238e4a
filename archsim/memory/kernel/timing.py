"""Constraints forward: when a command may issue, and what an issued command forbids.

The constraint table (:mod:`archsim.memory.constraints`, as CSR arrays ``cs_start``/``cs_tab``)
is enforced as a *next allowed* cycle per node and command (``na``): issuing a command raises
the entries its rows name (:func:`_apply`); a command is ready once every node it touches
allows it, the four-activate window has room and its command bus is free (:func:`_earliest`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from archsim.memory.commands import ACT, PRE, REFAB, REFPB
from archsim.memory.kernel.layout import (
    APPLY_ALL,
    APPLY_BUS_ONLY,
    CF_BUS_COL,
    CF_BUS_ROW,
    INF,
    P_BG,
    P_BPG,
    P_DUAL,
    P_FAW,
    P_O_BG,
    P_O_BK,
    P_O_RK,
    P_PC,
    P_R,
    RF_FAW_I,
    RF_FAW_N,
)


@njit(cache=True, inline="always", _nrt=False)
def _is_row_cmd(cmd):
    return cmd == ACT or cmd == PRE or cmd == REFAB or cmd == REFPB


@njit(cache=True, inline="always", _nrt=False)
def _earliest(cmd, c, rk, gbg, gb, p, na, ch_st, rk_st, faw):
    """First cycle at which ``cmd`` may issue at the given nodes (gbg/gb may be -1)."""
    # Unsigned node and command indices: numba indexes them without negative wraparound.
    u = np.uint64(cmd)
    e = max(na[np.uint64(c), u], na[np.uint64(p[P_O_RK] + rk), u])
    if gbg >= 0:
        e = max(e, na[np.uint64(p[P_O_BG] + gbg), u])
    if gb >= 0:
        e = max(e, na[np.uint64(p[P_O_BK] + gb), u])
    if cmd == ACT and rk_st[rk, RF_FAW_N] >= 4:
        e = max(e, faw[rk, rk_st[rk, RF_FAW_I]] + p[P_FAW])
    if p[P_DUAL] == 1 and not _is_row_cmd(cmd):
        e = max(e, ch_st[c, CF_BUS_COL])
    else:
        e = max(e, ch_st[c, CF_BUS_ROW])
    return e


@njit(cache=True, inline="always", _nrt=False)
def _apply(cmd, t, c, r, bg, b, p, cs_start, cs_tab, na, mode=APPLY_ALL):
    """Record the constraints that ``cmd`` issued at cycle ``t`` puts on later commands."""
    R, BG, BPG = p[P_R], p[P_BG], p[P_BPG]
    rk = c * R + r
    # Unsigned indices (rows, nodes, commands): numba indexes them without negative wraparound.
    for k in range(np.uint64(cs_start[cmd]), np.uint64(cs_start[cmd + 1])):
        q = np.uint64(cs_tab[k, 0])
        until = t + cs_tab[k, 3]
        level = cs_tab[k, 1]
        if mode == APPLY_BUS_ONLY and level > 1:
            continue
        if level == 0:
            n = np.uint64(c)
            if na[n, q] < until:
                na[n, q] = until
        elif level == 1:
            if cs_tab[k, 2] == 0:
                n = np.uint64(p[P_O_RK] + rk)
                if na[n, q] < until:
                    na[n, q] = until
            else:
                for r2 in range(R):
                    n = np.uint64(p[P_O_RK] + c * R + r2)
                    if r2 != r and na[n, q] < until:
                        na[n, q] = until
        elif level == 2:
            if bg >= 0:
                n = np.uint64(p[P_O_BG] + rk * BG + bg)
                if na[n, q] < until:
                    na[n, q] = until
        elif b >= 0:
            if bg >= 0:
                n = np.uint64(p[P_O_BK] + (rk * BG + bg) * BPG + b)
                if na[n, q] < until:
                    na[n, q] = until
            else:  # same-bank refresh: bank b of every group
                for g2 in range(BG):
                    gb = (rk * BG + g2) * BPG + b
                    if na[p[P_O_BK] + gb, q] < until:
                        na[p[P_O_BK] + gb, q] = until


@njit(cache=True, inline="always", _nrt=False)
def _take_bus(c, field, t, p, ch_st):
    """A command issued at ``t`` holds its command bus, shared by the channel's pseudo-channels."""
    base = (c // p[P_PC]) * p[P_PC]
    for c2 in range(base, base + p[P_PC]):
        ch_st[c2, field] = t + 1


@njit(cache=True, inline="always", _nrt=False)
def _rank_bounds(c, col_cmd, p, na, ch_st, rk_st, faw, rscr):
    """Fill ``rscr`` for the ranks of channel ``c``; return the per-type minimum over ranks."""
    lo0 = lo1 = lo2 = INF
    for r in range(p[P_R]):
        rk = c * p[P_R] + r
        rscr[rk, 0] = _earliest(ACT, c, rk, -1, -1, p, na, ch_st, rk_st, faw)
        rscr[rk, 1] = _earliest(PRE, c, rk, -1, -1, p, na, ch_st, rk_st, faw)
        rscr[rk, 2] = _earliest(col_cmd, c, rk, -1, -1, p, na, ch_st, rk_st, faw)
        lo0 = min(lo0, rscr[rk, 0])
        lo1 = min(lo1, rscr[rk, 1])
        lo2 = min(lo2, rscr[rk, 2])
    return lo0, lo1, lo2


@njit(cache=True, inline="always", _nrt=False)
def _faw_push(rk, t, rk_st, faw):
    """Enter an ACT (or ACTab) issued at ``t`` in rank ``rk``'s four-activate window."""
    i = rk_st[rk, RF_FAW_I]
    if rk_st[rk, RF_FAW_N] < 4:
        faw[rk, (i + rk_st[rk, RF_FAW_N]) % 4] = t
        rk_st[rk, RF_FAW_N] += 1
    else:
        faw[rk, i] = t
        rk_st[rk, RF_FAW_I] = (i + 1) % 4


@njit(cache=True, inline="always", _nrt=False)
def _take_cmd_bus(c, row_cmd, t, p, ch_st):
    """Hold the bus a command issued at ``t`` uses: the row bus for row commands (or the only
    bus), the column bus for column commands where the two are separate."""
    if p[P_DUAL] == 1 and not row_cmd:
        _take_bus(c, CF_BUS_COL, t, p, ch_st)
    else:
        _take_bus(c, CF_BUS_ROW, t, p, ch_st)
