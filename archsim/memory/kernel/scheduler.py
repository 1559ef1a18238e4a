"""The scheduler: which command a channel issues next, and when to look at it again.

Per channel and cycle: a pending refresh first (:mod:`.refresh`), then a PIM program in progress
(:mod:`.pim`), else the request queues: FR-FCFS (the oldest ready row hit, then the oldest ready
ACT or PRE) or strict FCFS, in the queue the write-drain mode serves. Up to two
commands issue per cycle where row and column command buses are separate. The scheduler also
returns the next cycle worth scanning the channel again, so the main loop jumps from event to
event instead of stepping cycles.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from archsim.memory.commands import ACT, PRE, RD, RDA, REFAB, REFPB, WR, WRA
from archsim.memory.kernel.issue import _issue
from archsim.memory.kernel.layout import (
    BQ_HIT,
    BQ_OTHER,
    CF_AN0,
    CF_HITS0,
    CF_MODE,
    CF_PQ_N,
    CF_RQ_N,
    H_SEQ,
    INF,
    P_BG,
    P_BG_SH,
    P_BPG,
    P_BPG_SH,
    P_CLOSED,
    P_DUAL,
    P_FRFCFS,
    P_O_BG,
    P_O_BK,
    P_R,
    P_REFMODE,
    QF_BANK,
    QF_BG,
    QF_COL,
    QF_GB,
    QF_RANK,
    QF_ROW,
    REFMODE_ALL,
    REFMODE_NONE,
    REFMODE_PB,
    RF_REF_PEND,
)
from archsim.memory.kernel.pim import _pim_step
from archsim.memory.kernel.queues import _update_mode
from archsim.memory.kernel.refresh import _in_refresh, _pb_target
from archsim.memory.kernel.timing import _earliest, _rank_bounds


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
        # Indices are cast to unsigned where they are computed: numba then indexes without its
        # negative-index wraparound (three instructions and a shape load per index).
        uq, uxq, ucol = np.uint64(qi), np.uint64(1 - qi), np.uint64(col_cmd)
        # Queued entries hitting their bank's open row, in this queue and the other.
        any_hit = ch_st[c, CF_HITS0 + qi] > 0
        any_xhit = ch_st[c, CF_HITS0 + 1 - qi] > 0
        for j in range(ch_st[c, CF_AN0 + qi]):
            gb = alist[c, uq, np.uint64(j)]
            gbg = gb >> p[P_BPG_SH]
            rk = gbg >> p[P_BG_SH]
            if refreshing and _in_refresh(rk, gbg & (BG - 1), gb & (BPG - 1), p, rk_st):
                continue
            ub, ubg, ubk, urk = (
                np.uint64(gb),
                np.uint64(o_bg + gbg),
                np.uint64(o_bk + gb),
                np.uint64(rk),
            )
            hs = bq[ub, uq, BQ_HIT]
            os = bq[ub, uq, BQ_OTHER]
            if fcfs:
                hs = hs if hs == head_seq else INF
                os = os if os == head_seq else INF
            # Oldest row hit: a column command (no bank has one when the queue has no hits).
            if any_hit:
                bph = max(na[ubg, ucol], na[ubk, ucol])
                bph = bph if hs < INF else INF
                mb2 = min(mb2, bph)
                eh = max(rscr[urk, 2], bph)
                best_next = min(best_next, eh)
                take = (eh <= t) & (hs < hit_seq)
                hit_seq = hs if take else hit_seq
                hit_gb = gb if take else hit_gb
            # Oldest other entry: ACT on a closed bank, else PRE unless the open row has hits.
            closed = open_row[ub] < 0
            kind = np.uint64(0 if closed else 1)
            cmd = ACT if closed else PRE
            ucmd = np.uint64(cmd)
            blocked = False
            cross = False
            if any_hit or any_xhit:
                blocked = (not closed) & block_pre & (hits[ub, uq] > 0)
                # The open row also has hits in the other queue: serve them before closing it,
                # as DRAMsim3's per-bank queues and Ramulator 2's active buffer do, instead of
                # letting a write drain close rows that queued reads are about to hit (and the
                # reverse).
                cross = (not closed) & (not blocked) & block_pre & (os < INF) & (hits[ub, uxq] > 0)
                blocked = blocked | cross
            if cross:
                any_cross = True
                xs = bq[ub, uxq, BQ_HIT]
                e = _earliest(x_cmd, c, rk, gbg, gb, p, na, ch_st, rk_st, faw)
                best_next = min(best_next, e)
                if e <= t and xs < oth_seq:
                    oth_seq = xs
                    oth_cmd = x_cmd
                    oth_q = 1 - qi
            bpo = max(na[ubg, ucmd], na[ubk, ucmd])
            bpo = INF if (os == INF) | blocked else bpo
            mb0 = min(mb0, bpo if closed else INF)
            mb1 = min(mb1, INF if closed else bpo)
            eo = max(rscr[urk, kind], bpo)
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

    # One call site for _issue (inlined) keeps the compiled kernel small.
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
