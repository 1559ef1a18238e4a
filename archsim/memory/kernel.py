"""The per-command DRAM controller loop, in numba.

One call advances every bus channel of a memory system over a batch of requests: in-order
admission into bounded read/write queues, FR-FCFS or FCFS selection, open/closed row policy,
all-bank or per-bank refresh, write draining, and every constraint of
:mod:`archsim.memory.constraints` plus tFAW and the command bus. Time is in command-clock cycles
and jumps from event to event (the next cycle at which any command could issue), so cost scales
with commands, not with cycles.

State lives in the arrays held by :class:`archsim.memory.controller.DramTiming`, so successive
calls continue one simulation exactly: splitting a trace into batches never changes the result.

The functions are compiled with ``_nrt=False``: they never allocate, and without numba's runtime
the many array arguments are not reference-counted on every call (measured: those atomic
increments took 60% of the run time and made the loop 8x slower).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from archsim.memory.commands import (
    ACT,
    ACT_AB,
    MAC_AB,
    PRE,
    PRE_AB,
    RD,
    RD_REG,
    RDA,
    REFAB,
    REFPB,
    SET_ALL,
    SET_EVEN,
    WR,
    WR_AB,
    WR_REG,
    WRA,
)

INF = np.int64(1) << np.int64(62)

# Queues: q[channel, read/write, slot, field] holds entries in slots; order[channel, read/write]
# is a permutation of the slots whose first n (the queue length) list live entries oldest
# first, and the rest free slots. Dequeuing shifts only that small index list.
# Queue entry fields.
# RK/GBG/GB are global rank, bank-group and bank node indices, precomputed at admission.
QF_ID, QF_RANK, QF_BG, QF_BANK, QF_ROW, QF_COL, QF_ENQ, QF_ACT, QF_RK, QF_GBG, QF_GB = range(11)
N_QF = 11
# The fields every scan reads are mirrored in hot[channel, read/write, field, position], kept in
# queue (age) order, so the scheduler walks contiguous memory without the slot indirection.
H_RK, H_GBG, H_GB, H_ROW, H_SEQ = range(5)
N_H = 5
# Per-bank queue summary bq[bank, read/write, field]: entries queued for the bank, the sequence
# number (age) of its oldest entry hitting the open row and of its oldest other entry (INF if
# none), and the bank's position in its channel's list of banks with work (alist). All entries
# of a bank that want the same command are ready at the same cycle, so FR-FCFS only ever needs
# these two candidates per bank: the scheduler walks banks with work instead of queue entries.
BQ_N, BQ_HIT, BQ_OTHER, BQ_POS = range(4)
N_BQ = 4

# Per-rank state.
(
    RF_OPEN,
    RF_LAST,
    RF_ACTIVE_CYC,
    RF_IDLE_CYC,
    RF_REF_DUE,
    RF_REF_PEND,
    RF_PB_NEXT,
    RF_FAW_N,
    RF_FAW_I,
) = range(9)
N_RF = 9

# Per-channel state.
# HITS0/HITS1: queued requests (read/write queue) whose row is open in their bank.
# CUR: how many of this channel's requests in the current batch have been admitted.
# AN0/AN1: banks in the active list of the read/write queue; SEQ: next entry sequence number.
(
    CF_MODE,
    CF_RQ_N,
    CF_WQ_N,
    CF_WAKE,
    CF_BUS_ROW,
    CF_BUS_COL,
    CF_HITS0,
    CF_HITS1,
    CF_CUR,
    CF_AN0,
    CF_AN1,
    CF_SEQ,
    CF_PQ_HEAD,
    CF_PQ_N,
    CF_PIM_NEXT,
) = range(15)
N_CF = 15

# PIM programs: pq[channel, slot, field] is a FIFO (head CF_PQ_HEAD, length CF_PQ_N) of PIM
# commands issued strictly in order. While a channel has a program, its host queues wait: the
# memory is in PIM mode, as HBM-PIM's all-bank modes shut out normal accesses.
PQF_CMD, PQF_SET, PQF_RANK, PQF_ROW, PQF_COL, PQF_ID, PQF_ENQ = range(7)
N_PQF = 7

# _apply modes: every constraint; data bus and rank only (a PIM register access that touches
# no bank).
APPLY_ALL, APPLY_BUS_ONLY = 0, 2

# Per-channel counters (the PIM ones count banks touched by all-bank commands).
(
    CNT_READS,
    CNT_WRITES,
    CNT_ACT,
    CNT_PRE,
    CNT_RDA,
    CNT_WRA,
    CNT_REFAB,
    CNT_REFPB,
    CNT_HIT_R,
    CNT_HIT_W,
    CNT_LAT_SUM,
    CNT_LAST_DATA,
    CNT_LAT_MAX,
    CNT_PIM_CMDS,
    CNT_PIM_ACT_BANKS,
    CNT_PIM_PRE_BANKS,
    CNT_PIM_MAC_BANKS,
    CNT_PIM_WR_BANKS,
    CNT_PIM_REG_WR,
    CNT_PIM_REG_RD,
) = range(20)
N_CNT = 20

# Global state.
# HEAD/HEAD_T: the oldest request (trace id) not yet admitted, as fixed at the start of cycle
# HEAD_T; the front end admits requests with ids below HEAD + window.
(G_T, G_LOG_N, G_COMP_N, G_DEMAND, G_ITERS, G_SCANS, G_QUEUED, G_NEXT_REF, G_HEAD, G_HEAD_T) = (
    range(10)
)
N_G = 10

# Parameters (int64 vector).
# BG_SH/BPG_SH: log2 of bank groups and banks per group (both powers of two), so that bank
# indices split with shifts: integer division showed up as the hottest instruction.
# O_RK/O_BG/O_BK: where rank, bank-group and bank nodes start in the next-allowed table
# na[node, command] (channel nodes come first).
# PC: pseudo-channels per channel. Consecutive bus channels c with the same c // PC are the
# pseudo-channels of one channel and share its command pins (JESD235: one row and one column
# command bus per legacy channel), so a command on one takes that bus from all of them.
# GUARD: cycles after which every constraint a command sets has expired (its longest delay,
# tFAW and the data beats), used to decide when an idle memory has reached its steady state.
(
    P_C,
    P_R,
    P_BG,
    P_BPG,
    P_Q,
    P_FRFCFS,
    P_CLOSED,
    P_REFMODE,
    P_SAMEBANK,
    P_DUAL,
    P_HIGH,
    P_LOW,
    P_CL,
    P_CWL,
    P_BL,
    P_FAW,
    P_REFI,
    P_REFIPB,
    P_LOG,
    P_RECORD,
    P_WINDOW,
    P_BG_SH,
    P_BPG_SH,
    P_O_RK,
    P_O_BG,
    P_O_BK,
    P_PIM_MAC,
    P_GUARD,
    P_PC,
) = range(29)
N_P = 29

REFMODE_NONE, REFMODE_ALL, REFMODE_PB = 0, 1, 2

# Return codes.
DONE_BATCH, DONE_ALL, LOG_FULL, COMP_FULL = 0, 1, 2, 3

# Scratch per rank, rebuilt at each scan: earliest ACT, PRE and column command from the
# channel, rank, tFAW and command-bus constraints (the part every entry of the rank shares).
N_RS = 3

# Latency histogram: one bin per cycle up to this many cycles; beyond it, only the maximum.
HIST_BINS = 1 << 16


@njit(cache=True, inline="always", _nrt=False)
def _is_row_cmd(cmd):
    return cmd == ACT or cmd == PRE or cmd == REFAB or cmd == REFPB


@njit(cache=True, inline="always", _nrt=False)
def _earliest(cmd, c, rk, gbg, gb, p, na, ch_st, rk_st, faw):
    """First cycle at which ``cmd`` may issue at the given nodes (gbg/gb may be -1)."""
    e = max(na[c, cmd], na[p[P_O_RK] + rk, cmd])
    if gbg >= 0:
        e = max(e, na[p[P_O_BG] + gbg, cmd])
    if gb >= 0:
        e = max(e, na[p[P_O_BK] + gb, cmd])
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
    for k in range(cs_start[cmd], cs_start[cmd + 1]):
        q = cs_tab[k, 0]
        until = t + cs_tab[k, 3]
        level = cs_tab[k, 1]
        if mode == APPLY_BUS_ONLY and level > 1:
            continue
        if level == 0:
            if na[c, q] < until:
                na[c, q] = until
        elif level == 1:
            if cs_tab[k, 2] == 0:
                if na[p[P_O_RK] + rk, q] < until:
                    na[p[P_O_RK] + rk, q] = until
            else:
                for r2 in range(R):
                    if r2 != r and na[p[P_O_RK] + c * R + r2, q] < until:
                        na[p[P_O_RK] + c * R + r2, q] = until
        elif level == 2:
            if bg >= 0:
                gbg = rk * BG + bg
                if na[p[P_O_BG] + gbg, q] < until:
                    na[p[P_O_BG] + gbg, q] = until
        elif b >= 0:
            if bg >= 0:
                gb = (rk * BG + bg) * BPG + b
                if na[p[P_O_BK] + gb, q] < until:
                    na[p[P_O_BK] + gb, q] = until
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
        for i in range(n):  # branch-free: the matches are unpredictable
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
        slot = order[c, qi, idx]
        rid = q[c, qi, slot, QF_ID]
        enq = q[c, qi, slot, QF_ENQ]
        demand_act = q[c, qi, slot, QF_ACT]
        n = ch_st[c, CF_RQ_N + qi]
        for i in range(idx, n - 1):
            order[c, qi, i] = order[c, qi, i + 1]
        order[c, qi, n - 1] = slot
        for f in range(N_H):
            for i in range(idx, n - 1):
                hot[c, qi, f, i] = hot[c, qi, f, i + 1]
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
        _rebank(c, gb, open_row, hot, ch_st, hits, bq, alist)
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


@njit(cache=True, inline="always", _nrt=False)
def _update_mode(c, p, ch_st):
    nr, nw = ch_st[c, CF_RQ_N], ch_st[c, CF_WQ_N]
    if ch_st[c, CF_MODE] == 0:
        if nw >= p[P_HIGH] or (nr == 0 and nw > 0):
            ch_st[c, CF_MODE] = 1
    elif nw == 0 or (nr > 0 and nw <= p[P_LOW]):
        ch_st[c, CF_MODE] = 0


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
                i = rk_st[rk, RF_FAW_I]
                if rk_st[rk, RF_FAW_N] < 4:
                    faw[rk, (i + rk_st[rk, RF_FAW_N]) % 4] = t
                    rk_st[rk, RF_FAW_N] += 1
                else:
                    faw[rk, i] = t
                    rk_st[rk, RF_FAW_I] = (i + 1) % 4
        if row_bus and p[P_DUAL] == 1:
            _take_bus(c, CF_BUS_ROW, t, p, ch_st)
        elif p[P_DUAL] == 1:
            _take_bus(c, CF_BUS_COL, t, p, ch_st)
        else:
            _take_bus(c, CF_BUS_ROW, t, p, ch_st)
        cnt[c, CNT_PIM_CMDS] += 1
        if p[P_LOG] == 1:
            n = g[G_LOG_N]
            log[n, 0] = t
            log[n, 1] = actual
            log[n, 2] = c
            log[n, 3] = r
            log[n, 4] = -1
            log[n, 5] = code
            log[n, 6] = row
            log[n, 7] = pq[c, k, PQF_COL]
            g[G_LOG_N] = n + 1
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
            n = g[G_COMP_N]
            comp[n, 0] = pq[c, k, PQF_ID]
            comp[n, 1] = done
            g[G_COMP_N] = n + 1
    return t + 1 if actual >= 0 else t


@njit(cache=True, inline="always", _nrt=False)
def _select(
    c,
    t,
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
    rscr,
    pq,
):
    """Issue the best command of channel ``c`` ready at ``t``, if any.

    Priority: refresh, then (FR-FCFS) the oldest ready row hit, then the oldest ready ACT/PRE.
    Returns the next cycle worth looking at this channel again: the exact next ready cycle when
    nothing issued (INF when idle), and after an issue a lower bound built from the scan, so
    that the scan that follows an issue is rarely wasted.
    """
    R, BG, BPG = p[P_R], p[P_BG], p[P_BPG]
    best_next = INF
    sel_cmd = sel2_cmd = -1  # the command(s) chosen to issue, if any
    sel_seq = sel2_seq = -1  # their queue entries (sequence numbers); -1 for refresh commands
    sel_r = sel_bg = sel_b = sel_row = -1
    sel_q = 0  # the queue of the first command's entry (the other queue for a cross hit)
    any_cross = False  # an open row's hits in the other queue held back a PRE this scan

    # Refresh first: a pending refresh precharges its banks, then refreshes.
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

    # A PIM program in progress owns the channel; a pending refresh still goes first.
    if ch_st[c, CF_PQ_N] > 0 and sel_cmd < 0:
        if refreshing:
            return best_next
        return _pim_step(
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
        )

    # Smallest bank-level part (max over bank group and bank constraints) per candidate type
    # (ACT, PRE, column): with the rank bounds recomputed after an issue, these bound the next
    # cycle at which any entry could become ready.
    mb0 = mb1 = mb2 = INF
    qi = ch_st[c, CF_MODE]
    col_cmd = RD if qi == 0 else WR
    gb1 = gb2 = -1  # banks of the commands issued from the queues
    if sel_cmd < 0:
        _update_mode(c, p, ch_st)
        qi = ch_st[c, CF_MODE]
        n = ch_st[c, CF_RQ_N + qi]
        if p[P_FRFCFS] == 0 and n > 1:
            n = 1  # strict FCFS: only the oldest request may issue commands
        col_cmd = RD if qi == 0 else WR
        _rank_bounds(c, col_cmd, p, na, ch_st, rk_st, faw, rscr)
        # Strict FCFS considers only the oldest entry; FR-FCFS every bank's two candidates.
        fcfs = p[P_FRFCFS] == 0
        x_cmd = WR if qi == 0 else RD  # the other queue's column command
        oth_q = qi
        sel_q = qi
        head_seq = hot[c, qi, H_SEQ, 0] if n > 0 else INF
        hit_seq = INF
        hit_gb = -1
        oth_seq = INF
        oth_cmd = -1
        # Written without data-dependent branches: with random traffic they mispredicted on
        # nearly every bank.
        o_bg = p[P_O_BG]
        o_bk = p[P_O_BK]
        block_pre = not fcfs
        for j in range(ch_st[c, CF_AN0 + qi]):
            gb = alist[c, qi, j]
            gbg = gb >> p[P_BPG_SH]
            rk = gbg >> p[P_BG_SH]
            if refreshing and _in_refresh(rk, gbg & (BG - 1), gb & (BPG - 1), p, rk_st):
                continue
            hs = bq[gb, qi, BQ_HIT]
            os = bq[gb, qi, BQ_OTHER]
            if fcfs:
                hs = hs if hs == head_seq else INF
                os = os if os == head_seq else INF
            # Oldest row hit: a column command.
            bph = max(na[o_bg + gbg, col_cmd], na[o_bk + gb, col_cmd])
            bph = bph if hs < INF else INF
            mb2 = min(mb2, bph)
            eh = max(rscr[rk, 2], bph)
            best_next = min(best_next, eh)
            take = (eh <= t) & (hs < hit_seq)
            hit_seq = hs if take else hit_seq
            hit_gb = gb if take else hit_gb
            # Oldest other entry: ACT on a closed bank, else PRE unless the open row has hits.
            closed = open_row[gb] < 0
            kind = 0 if closed else 1
            cmd = ACT if closed else PRE
            blocked = (not closed) & block_pre & (hits[gb, qi] > 0)
            # The open row also has hits in the other queue: serve them before closing it, as
            # DRAMsim3's per-bank queues and Ramulator 2's active buffer do, instead of letting a
            # write drain close rows that queued reads are about to hit (and the reverse).
            cross = (not closed) & (not blocked) & block_pre & (os < INF) & (hits[gb, 1 - qi] > 0)
            blocked = blocked | cross
            if cross:
                any_cross = True
                xs = bq[gb, 1 - qi, BQ_HIT]
                e = _earliest(x_cmd, c, rk, gbg, gb, p, na, ch_st, rk_st, faw)
                best_next = min(best_next, e)
                if e <= t and xs < oth_seq:
                    oth_seq = xs
                    oth_cmd = x_cmd
                    oth_q = 1 - qi
            bpo = max(na[o_bg + gbg, cmd], na[o_bk + gb, cmd])
            bpo = INF if (os == INF) | blocked else bpo
            mb0 = min(mb0, bpo if closed else INF)
            mb1 = min(mb1, INF if closed else bpo)
            eo = max(rscr[rk, kind], bpo)
            best_next = min(best_next, eo)
            take = (eo <= t) & (os < oth_seq)
            oth_seq = os if take else oth_seq
            oth_cmd = cmd if take else oth_cmd
            oth_q = qi if take else oth_q
        # Up to two commands issue: the best one, and with separate row and column command
        # buses also the best row command when the best one was a column command. That row
        # command is on another bank, and no constraint links a column command to a row
        # command of another bank, so it is still ready (unless the queue to serve changes,
        # which the next scan decides).
        if hit_gb >= 0:
            sel_cmd = col_cmd
            if p[P_CLOSED] == 1 and hits[hit_gb, 0] + hits[hit_gb, 1] <= 1:
                sel_cmd = RDA if qi == 0 else WRA
            sel_seq = hit_seq
            if p[P_DUAL] == 1 and oth_cmd >= 0 and oth_q == qi:
                sel2_cmd = oth_cmd
                sel2_seq = oth_seq
        elif oth_cmd >= 0:
            sel_cmd = oth_cmd
            sel_seq = oth_seq
            sel_q = oth_q
        if sel_cmd < 0:
            return best_next

    # One call site for _issue keeps the kernel small enough to inline everything.
    for k in range(2):
        cmd = sel_cmd if k == 0 else sel2_cmd
        if cmd < 0:
            break
        seq = sel_seq if k == 0 else sel2_seq
        if k == 1:
            mode = ch_st[c, CF_MODE]
            _update_mode(c, p, ch_st)
            switched = ch_st[c, CF_MODE] != mode
            ch_st[c, CF_MODE] = mode
            if switched:
                break
        idx = -1
        col = 0
        qk = sel_q if k == 0 else qi  # the queue holding the entry
        if seq >= 0:  # a queued entry (refresh commands have none)
            idx = 0
            while hot[c, qk, H_SEQ, idx] != seq:
                idx += 1
            s = order[c, qk, idx]
            sel_r, sel_bg, sel_b = q[c, qk, s, QF_RANK], q[c, qk, s, QF_BG], q[c, qk, s, QF_BANK]
            gb = q[c, qk, s, QF_GB]
            if cmd == PRE:
                sel_row = open_row[gb]
                idx = -1
            else:
                sel_row = q[c, qk, s, QF_ROW]
                col = q[c, qk, s, QF_COL] if cmd != ACT else 0
            if k == 0:
                gb1 = gb
            else:
                gb2 = gb
        _issue(
            cmd,
            t,
            c,
            sel_r,
            sel_bg,
            sel_b,
            sel_row,
            col,
            qk,
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
        )

    # Lower bound on the next useful cycle. Anything that changes which entries are candidates
    # (refresh, a queue switch, strict FCFS moving its head) gets the plain t + 1.
    if refreshing or sel_cmd == REFAB or sel_cmd == REFPB or p[P_FRFCFS] == 0 or any_cross:
        return t + 1
    mode = ch_st[c, CF_MODE]
    _update_mode(c, p, ch_st)
    if ch_st[c, CF_MODE] != mode:
        ch_st[c, CF_MODE] = mode  # decided again at the next scan
        return t + 1
    lo0, lo1, lo2 = _rank_bounds(c, col_cmd, p, na, ch_st, rk_st, faw, rscr)
    wake = min(max(lo0, mb0), max(lo1, mb1), max(lo2, mb2))
    # A bank just used may now offer a different command (a column after ACT, an ACT after
    # PRE, a PRE once its last hit is served): bound each type on that bank directly.
    o_bg, o_bk = p[P_O_BG], p[P_O_BK]
    for gb in (gb1, gb2):
        if gb < 0:
            continue
        gbg = gb >> p[P_BPG_SH]
        rk = gbg >> p[P_BG_SH]
        if open_row[gb] < 0:
            wake = min(wake, max(rscr[rk, 0], na[o_bg + gbg, ACT], na[o_bk + gb, ACT]))
        else:
            wake = min(wake, max(rscr[rk, 1], na[o_bg + gbg, PRE], na[o_bk + gb, PRE]))
            wake = min(wake, max(rscr[rk, 2], na[o_bg + gbg, col_cmd], na[o_bk + gb, col_cmd]))
    return max(wake, t + 1)


@njit(cache=True, inline="always", _nrt=False)
def _admit_bound(c, qi, rk, gbg, gb, row, t, p, na, open_row, hits, ch_st, rk_st, faw):
    """Earliest cycle at which a request just admitted could make channel ``c`` issue.

    The channel's wake cycle stays a valid lower bound for the entries already queued, so only
    the newcomer needs bounding; cases that change which entries are candidates return ``t``.
    """
    if ch_st[c, CF_PQ_N] > 0:
        return INF  # the channel runs a PIM program; host entries wait for it to finish
    if p[P_FRFCFS] == 0 or rk_st[rk, RF_REF_PEND] != 0:
        return t
    mode = ch_st[c, CF_MODE]
    _update_mode(c, p, ch_st)
    if ch_st[c, CF_MODE] != mode:
        ch_st[c, CF_MODE] = mode  # decided again at the next scan
        return t
    if qi != mode:
        return INF  # waits in the inactive queue
    orow = open_row[gb]
    if orow == row:
        cmd = RD if qi == 0 else WR
    elif orow < 0:
        cmd = ACT
    elif hits[gb, qi] > 0:
        return INF  # its PRE waits for the open row's hits, which are queued already
    elif hits[gb, 1 - qi] > 0:
        return t  # the other queue's hits on the open row go first: decided at the next scan
    else:
        cmd = PRE
    return max(t, _earliest(cmd, c, rk, gbg, gb, p, na, ch_st, rk_st, faw))


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


@njit(cache=True, nogil=True, _nrt=False)
def run(p, st, arrival, is_write, pim, ch, rank, bg, bank, row, col, req_id, corder, cstart, final):
    """Advance the simulation over one batch of requests (arrays indexed by request, trace order).

    The front end admits each channel's requests in trace order once they have arrived and the
    queue has room, looking at most ``window`` requests past the oldest one not yet admitted, so
    a full queue on one channel does not stall the others (``window`` 1 is a strictly in-order
    front end). ``corder`` lists request indices grouped by channel, ``cstart`` delimits the
    groups. Returns DONE_BATCH when the window reaches past the batch (and ``final`` is false:
    call again with the requests not yet admitted plus the next ones), DONE_ALL when ``final``
    and every request has completed, or LOG_FULL / COMP_FULL when an output buffer needs
    flushing (call again with the same batch).
    """
    (
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
        rscr,
        pq,
    ) = st
    C, R, BG, BPG, Q, W = p[P_C], p[P_R], p[P_BG], p[P_BPG], p[P_Q], p[P_WINDOW]
    nreq = arrival.shape[0]
    end_id = req_id[nreq - 1] + 1 if nreq > 0 else g[G_HEAD]
    t = g[G_T]
    while True:
        g[G_ITERS] += 1
        if p[P_LOG] == 1 and g[G_LOG_N] + 2 * C > log.shape[0]:
            g[G_T] = t
            return LOG_FULL
        if p[P_RECORD] == 1 and g[G_COMP_N] + 2 * C > comp.shape[0]:
            g[G_T] = t
            return COMP_FULL
        # The window is fixed once per cycle, so that resuming a cycle after DONE_BATCH
        # admits exactly what one uninterrupted run would.
        if g[G_HEAD_T] != t:
            head = end_id
            for c in range(C):
                k = cstart[c] + ch_st[c, CF_CUR]
                if k < cstart[c + 1]:
                    head = min(head, req_id[corder[k]])
            g[G_HEAD] = head
            g[G_HEAD_T] = t
        limit = g[G_HEAD] + W
        # Admission, in trace order within each channel.
        remaining = False
        for c in range(C):
            k = cstart[c] + ch_st[c, CF_CUR]
            while k < cstart[c + 1]:
                i = corder[k]
                if arrival[i] > t or req_id[i] >= limit:
                    break
                if pim[i] >= 0:  # a PIM program command: into the channel's FIFO
                    n = ch_st[c, CF_PQ_N]
                    if n >= Q:
                        break
                    slot = (ch_st[c, CF_PQ_HEAD] + n) % Q
                    pq[c, slot, PQF_CMD] = pim[i]
                    pq[c, slot, PQF_SET] = bank[i]
                    pq[c, slot, PQF_RANK] = rank[i]
                    pq[c, slot, PQF_ROW] = row[i]
                    pq[c, slot, PQF_COL] = col[i]
                    pq[c, slot, PQF_ID] = req_id[i]
                    pq[c, slot, PQF_ENQ] = t
                    ch_st[c, CF_PQ_N] = n + 1
                    g[G_QUEUED] += 1
                    ch_st[c, CF_WAKE] = t
                    k += 1
                    continue
                qi = 1 if is_write[i] else 0
                n = ch_st[c, CF_RQ_N + qi]
                if n >= Q:
                    break
                s = order[c, qi, n]
                rk = c * R + rank[i]
                gbg = rk * BG + bg[i]
                gb = gbg * BPG + bank[i]
                q[c, qi, s, QF_ID] = req_id[i]
                q[c, qi, s, QF_RANK] = rank[i]
                q[c, qi, s, QF_BG] = bg[i]
                q[c, qi, s, QF_BANK] = bank[i]
                q[c, qi, s, QF_ROW] = row[i]
                q[c, qi, s, QF_COL] = col[i]
                q[c, qi, s, QF_ENQ] = t
                q[c, qi, s, QF_ACT] = 0
                q[c, qi, s, QF_RK] = rk
                q[c, qi, s, QF_GBG] = gbg
                q[c, qi, s, QF_GB] = gb
                hot[c, qi, H_RK, n] = rk
                hot[c, qi, H_GBG, n] = gbg
                hot[c, qi, H_GB, n] = gb
                hot[c, qi, H_ROW, n] = row[i]
                seq = ch_st[c, CF_SEQ]
                ch_st[c, CF_SEQ] = seq + 1
                hot[c, qi, H_SEQ, n] = seq
                ch_st[c, CF_RQ_N + qi] = n + 1
                g[G_QUEUED] += 1
                if open_row[gb] == row[i]:
                    _set_hits(c, gb, qi, hits[gb, qi] + 1, hits, ch_st)
                    if bq[gb, qi, BQ_HIT] == INF:
                        bq[gb, qi, BQ_HIT] = seq
                elif bq[gb, qi, BQ_OTHER] == INF:
                    bq[gb, qi, BQ_OTHER] = seq
                _set_count(c, gb, qi, bq[gb, qi, BQ_N] + 1, bq, alist, ch_st)
                k += 1
                if ch_st[c, CF_WAKE] > t:
                    e = _admit_bound(
                        c, qi, rk, gbg, gb, row[i], t, p, na, open_row, hits, ch_st, rk_st, faw
                    )
                    if e < ch_st[c, CF_WAKE]:
                        ch_st[c, CF_WAKE] = e
            ch_st[c, CF_CUR] = k - cstart[c]
            if k < cstart[c + 1]:
                remaining = True
        if not final and limit > end_id:
            g[G_T] = t
            return DONE_BATCH
        if not remaining and g[G_QUEUED] == 0:
            g[G_T] = t
            return DONE_ALL
        # Refresh becomes pending when due.
        if g[G_NEXT_REF] <= t:
            next_ref = INF
            for rk in range(C * R):
                if rk_st[rk, RF_REF_PEND] == 0:
                    if rk_st[rk, RF_REF_DUE] <= t:
                        rk_st[rk, RF_REF_PEND] = 1
                        ch_st[rk // R, CF_WAKE] = t
                    elif rk_st[rk, RF_REF_DUE] < next_ref:
                        next_ref = rk_st[rk, RF_REF_DUE]
            g[G_NEXT_REF] = next_ref
        # Each channel issues at most one command per bus per cycle.
        t_next = g[G_NEXT_REF]
        for c in range(C):
            if ch_st[c, CF_WAKE] <= t:
                g[G_SCANS] += 1
                ch_st[c, CF_WAKE] = _select(
                    c,
                    t,
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
                    rscr,
                    pq,
                )
            if ch_st[c, CF_WAKE] < t_next:
                t_next = ch_st[c, CF_WAKE]
            # The channel's next request can enter once it has arrived and its queue has room
            # (a slot freed this cycle is usable next cycle); a window stop lifts only when
            # another channel admits, which is an event of its own.
            k = cstart[c] + ch_st[c, CF_CUR]
            if k < cstart[c + 1]:
                i = corder[k]
                room = (
                    ch_st[c, CF_PQ_N] < Q
                    if pim[i] >= 0
                    else (ch_st[c, CF_RQ_N + (1 if is_write[i] else 0)] < Q)
                )
                if room:
                    a = max(arrival[i], t + 1)
                    if a < t_next and (req_id[i] < limit or a > t + 1):
                        t_next = a
        if t_next <= t:
            t_next = t + 1
        if t_next >= INF:
            if g[G_QUEUED] == 0:
                t_next = t + 1  # all served: the next pass returns
            else:
                # Work is queued but nothing can ever issue: a controller bug; stop loudly.
                g[G_T] = t
                return -1
        else:
            t_next = _skip_idle(
                t, t_next, p, na, ch_st, rk_st, faw, cnt, g, arrival, corder, cstart
            )
        t = t_next
