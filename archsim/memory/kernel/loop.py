"""The main loop: admission, refresh, one scan per channel, and the jump to the next event.

One call advances every bus channel of a memory system over a batch of requests. Time is in
command-clock cycles and jumps from event to event (the next cycle at which any command could
issue, a request could enter, or a refresh falls due), so cost scales with commands, not cycles.
"""

from __future__ import annotations

from numba import njit

from archsim.memory.kernel.layout import (
    CF_CUR,
    CF_PQ_N,
    CF_RQ_N,
    CF_WAKE,
    DONE_ALL,
    DONE_BATCH,
    G_HEAD,
    G_HEAD_T,
    G_ITERS,
    G_NEXT_REF,
    G_QUEUED,
    G_SCANS,
    G_T,
    INF,
    P_BG,
    P_BPG,
    P_C,
    P_Q,
    P_R,
    P_WINDOW,
)
from archsim.memory.kernel.log import _buffer_full
from archsim.memory.kernel.pim import _enqueue_pim
from archsim.memory.kernel.queues import _enqueue_host
from archsim.memory.kernel.refresh import _refresh_due, _skip_idle
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
        full = _buffer_full(p, g, log, comp)
        if full >= 0:
            g[G_T] = t
            return full
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
                    if ch_st[c, CF_PQ_N] >= Q:
                        break
                    _enqueue_pim(
                        c, t, pim[i], bank[i], rank[i], row[i], col[i], req_id[i], p, ch_st, g, pq
                    )
                    k += 1
                    continue
                qi = 1 if is_write[i] else 0
                n = ch_st[c, CF_RQ_N + qi]
                if n >= Q:
                    break
                rk = c * R + rank[i]
                gbg = rk * BG + bg[i]
                gb = gbg * BPG + bank[i]
                _enqueue_host(
                    c,
                    qi,
                    n,
                    t,
                    req_id[i],
                    rank[i],
                    rk,
                    bg[i],
                    bank[i],
                    gbg,
                    gb,
                    row[i],
                    col[i],
                    open_row,
                    hits,
                    q,
                    order,
                    hot,
                    bq,
                    alist,
                    ch_st,
                    g,
                )
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
        _refresh_due(t, p, ch_st, rk_st, g)  # refresh becomes pending when due
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
