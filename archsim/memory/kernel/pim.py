"""The PIM command interpreter: programs of all-bank commands on the same timing kernel.

A channel's PIM program (ACTab, PREab, MACab, WRab, WRreg, RDreg over bank sets; see
:mod:`archsim.memory.commands`) waits in its FIFO ``pq`` and issues strictly in order, each
command timed as the constraint-table column it is (ACTab/PREab as ACT/PRE at every bank of the
set, MACab/WRab as themselves, WRreg/RDreg as a WR/RD on the data bus that touches no bank).
In-bank commands are also paced by the PIM units' command interval (``P_PIM_MAC``).
"""

from __future__ import annotations

from numba import njit

from archsim.memory.commands import (
    ACT,
    ACT_AB,
    MAC_AB,
    PRE,
    PRE_AB,
    RD,
    RD_REG,
    SET_ALL,
    SET_EVEN,
    WR,
    WR_AB,
    WR_REG,
)
from archsim.memory.kernel.layout import (
    APPLY_BUS_ONLY,
    CF_BUS_COL,
    CF_BUS_ROW,
    CF_PIM_NEXT,
    CF_PQ_HEAD,
    CF_PQ_N,
    CNT_LAST_DATA,
    CNT_PIM_ACT_BANKS,
    CNT_PIM_CMDS,
    CNT_PIM_MAC_BANKS,
    CNT_PIM_PRE_BANKS,
    CNT_PIM_REG_RD,
    CNT_PIM_REG_WR,
    CNT_PIM_WR_BANKS,
    G_QUEUED,
    P_BG,
    P_BL,
    P_BPG,
    P_CL,
    P_CWL,
    P_DUAL,
    P_FAW,
    P_LOG,
    P_O_BG,
    P_O_BK,
    P_O_RK,
    P_PIM_MAC,
    P_R,
    P_RECORD,
    PQF_CMD,
    PQF_COL,
    PQF_ID,
    PQF_RANK,
    PQF_ROW,
    PQF_SET,
    RF_FAW_I,
    RF_FAW_N,
)
from archsim.memory.kernel.log import _complete, _log_row
from archsim.memory.kernel.queues import _rebank, _set_open
from archsim.memory.kernel.timing import _apply, _faw_push, _take_cmd_bus


@njit(cache=True, inline="always", _nrt=False)
def _in_set(code, lb):
    """Whether local bank ``lb`` (bankgroup * banks_per_group + bank) is in PIM set ``code``."""
    if code >= 0:
        return lb == code
    if code == SET_ALL:
        return True
    if code == SET_EVEN:
        return (lb & 1) == 0
    return (lb & 1) == 1


@njit(cache=True, _nrt=False)
def _pim_step(
    c,
    t,
    p,
    cs_start,
    cs_tab,
    na,
    open_row,
    hits,
    hot,
    bq,
    alist,
    ch_st,
    rk_st,
    faw,
    cnt,
    g,
    log,
    comp,
    pq,
):
    """Issue the head command of channel ``c``'s PIM program if it is ready at ``t``.

    An all-bank command first brings its banks to the state it needs: a MAC or bank write to a
    row that is not open issues ACTab (or PREab, if another row is open) in its place, so a
    refresh in the middle of a program simply re-opens the row. Returns the next wake cycle.
    """
    R, BG, BPG = p[P_R], p[P_BG], p[P_BPG]
    nb = BG * BPG
    k = ch_st[c, CF_PQ_HEAD]
    cmd = pq[c, k, PQF_CMD]
    code = pq[c, k, PQF_SET]
    r = pq[c, k, PQF_RANK]
    row = pq[c, k, PQF_ROW]
    rk = c * R + r
    base_gb = rk * nb
    actual = cmd
    if cmd == MAC_AB or cmd == WR_AB or cmd == ACT_AB:
        n_closed = 0
        n_other = 0
        for lb in range(nb):
            if _in_set(code, lb):
                orow = open_row[base_gb + lb]
                if orow < 0:
                    n_closed += 1
                elif orow != row:
                    n_other += 1
        if n_other > 0:
            actual = PRE_AB
        elif n_closed > 0:
            actual = ACT_AB
        elif cmd == ACT_AB:
            actual = -1  # already open at that row: nothing to issue
    elif cmd == PRE_AB:
        actual = -1
        for lb in range(nb):
            if _in_set(code, lb) and open_row[base_gb + lb] >= 0:
                actual = PRE_AB
    if actual < 0:
        done = t
    else:
        # The column of the constraint table the command is timed as: ACTab/PREab as ACT/PRE at
        # each bank, WRreg/RDreg as a WR/RD on the data bus, MACab/WRab as themselves (the
        # bank's constraints and the read/write turnaround; see memory/constraints.py).
        if actual == ACT_AB:
            base = ACT
        elif actual == PRE_AB:
            base = PRE
        elif actual == RD_REG:
            base = RD
        elif actual == WR_REG:
            base = WR
        else:
            base = actual
        row_bus = actual == ACT_AB or actual == PRE_AB
        e = ch_st[c, CF_BUS_COL] if (p[P_DUAL] == 1 and not row_bus) else ch_st[c, CF_BUS_ROW]
        e = max(e, na[p[P_O_RK] + rk, base])
        if actual == WR_REG or actual == RD_REG:
            e = max(e, na[c, base])
        else:
            if actual == ACT_AB:
                e = max(e, na[c, base])
                if rk_st[rk, RF_FAW_N] >= 4:
                    e = max(e, faw[rk, rk_st[rk, RF_FAW_I]] + p[P_FAW])
            if actual == MAC_AB or actual == WR_AB:
                e = max(e, ch_st[c, CF_PIM_NEXT])
            for lb in range(nb):
                if _in_set(code, lb) and (actual != PRE_AB or open_row[base_gb + lb] >= 0):
                    gbg = rk * BG + lb // BPG
                    e = max(e, na[p[P_O_BG] + gbg, base])
                    e = max(e, na[p[P_O_BK] + base_gb + lb, base])
        if e > t:
            return e
        # Issue it.
        if actual == WR_REG or actual == RD_REG:
            _apply(base, t, c, r, -1, -1, p, cs_start, cs_tab, na, APPLY_BUS_ONLY)
            cnt[c, CNT_PIM_REG_WR if actual == WR_REG else CNT_PIM_REG_RD] += 1
        else:
            if actual == MAC_AB or actual == WR_AB:
                ch_st[c, CF_PIM_NEXT] = t + p[P_PIM_MAC]
            for lb in range(nb):
                if not _in_set(code, lb):
                    continue
                gb = base_gb + lb
                if actual == PRE_AB and open_row[gb] < 0:
                    continue
                _apply(base, t, c, r, lb // BPG, lb % BPG, p, cs_start, cs_tab, na)
                if actual == ACT_AB:
                    open_row[gb] = row
                    _set_open(rk, t, 1, rk_st)
                    cnt[c, CNT_PIM_ACT_BANKS] += 1
                elif actual == PRE_AB:
                    open_row[gb] = -1
                    _set_open(rk, t, -1, rk_st)
                    cnt[c, CNT_PIM_PRE_BANKS] += 1
                elif actual == MAC_AB:
                    cnt[c, CNT_PIM_MAC_BANKS] += 1
                else:
                    cnt[c, CNT_PIM_WR_BANKS] += 1
                if actual == ACT_AB or actual == PRE_AB:
                    _rebank(c, gb, open_row, hot, ch_st, hits, bq, alist)
            if actual == ACT_AB:  # one command in the four-activate window
                _faw_push(rk, t, rk_st, faw)
        _take_cmd_bus(c, row_bus, t, p, ch_st)
        cnt[c, CNT_PIM_CMDS] += 1
        if p[P_LOG] == 1:
            _log_row(g, log, t, actual, c, r, -1, code, row, pq[c, k, PQF_COL])
        if actual == RD_REG:
            done = t + p[P_CL] + p[P_BL]
        elif actual == WR_REG:
            done = t + p[P_CWL] + p[P_BL]
        else:
            done = t + 1
    if actual == cmd or actual < 0:  # the program's own command (not a preparatory one)
        ch_st[c, CF_PQ_HEAD] = (k + 1) % pq.shape[1]
        ch_st[c, CF_PQ_N] -= 1
        g[G_QUEUED] -= 1
        if done > cnt[c, CNT_LAST_DATA]:
            cnt[c, CNT_LAST_DATA] = done
        if p[P_RECORD] == 1:
            _complete(g, comp, pq[c, k, PQF_ID], done)
    return t + 1 if actual >= 0 else t
