"""The main loop: admission, refresh, one scan per channel, and the jump to the next event.

One call advances every bus channel of a memory system over a batch of requests. Time is in
command-clock cycles and jumps from event to event (the next cycle at which any command could
issue, a request could enter, or a refresh falls due), so cost scales with commands, not cycles.
"""

from __future__ import annotations

from numba import njit

from archsim.memory.kernel.layout import (
    BQ_HIT,
    BQ_N,
    BQ_OTHER,
    CF_CUR,
    CF_PQ_HEAD,
    CF_PQ_N,
    CF_RQ_N,
    CF_SEQ,
    CF_WAKE,
    COMP_FULL,
    DONE_ALL,
    DONE_BATCH,
    G_COMP_N,
    G_HEAD,
    G_HEAD_T,
    G_ITERS,
    G_LOG_N,
    G_NEXT_REF,
    G_QUEUED,
    G_SCANS,
    G_T,
    H_GB,
    H_ROW,
    H_SEQ,
    INF,
    LOG_FULL,
    P_BG,
    P_BPG,
    P_C,
    P_LOG,
    P_Q,
    P_R,
    P_RECORD,
    P_WINDOW,
    PQF_CMD,
    PQF_COL,
    PQF_ENQ,
    PQF_ID,
    PQF_RANK,
    PQF_ROW,
    PQF_SET,
    QF_ACT,
    QF_BANK,
    QF_BG,
    QF_COL,
    QF_ENQ,
    QF_GB,
    QF_GBG,
    QF_ID,
    QF_RANK,
    QF_RK,
    QF_ROW,
    RF_REF_DUE,
    RF_REF_PEND,
)
from archsim.memory.kernel.queues import _set_count, _set_hits
from archsim.memory.kernel.refresh import _skip_idle
from archsim.memory.kernel.scheduler import _admit_bound, _select


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
    cs_start, cs_tab, na, open_row = st.cs_start, st.cs_tab, st.na, st.open_row
    hits, q, order, hot, bq, alist = st.hits, st.q, st.order, st.hot, st.bq, st.alist
    ch_st, rk_st, faw, cnt, hist, g = st.ch_st, st.rk_st, st.faw, st.cnt, st.hist, st.g
    log, comp, rscr, pq = st.log, st.comp, st.rscr, st.pq
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
        elif g[G_QUEUED] == 0 and t_next == g[G_NEXT_REF]:  # _skip_idle's own first tests
            t_next = _skip_idle(
                t, t_next, p, na, ch_st, rk_st, faw, cnt, g, arrival, corder, cstart
            )
        t = t_next
