"""Outputs the kernel hands back: the command log and request completions.

Both go to fixed-size buffers (``log``: cycle, command, channel, rank, bank group, bank, row,
column; ``comp``: request id, completion cycle); :func:`archsim.memory.kernel.loop.run` returns
LOG_FULL / COMP_FULL before a pass could overflow one, and the caller flushes it and calls again.
"""

from __future__ import annotations

from numba import njit

from archsim.memory.kernel.layout import (
    COMP_FULL,
    G_COMP_N,
    G_LOG_N,
    LOG_FULL,
    P_C,
    P_LOG,
    P_RECORD,
)


@njit(cache=True, inline="always", _nrt=False)
def _buffer_full(p, g, log, comp):
    """LOG_FULL or COMP_FULL if a pass (two commands per channel) might not fit, else -1."""
    if p[P_LOG] == 1 and g[G_LOG_N] + 2 * p[P_C] > log.shape[0]:
        return LOG_FULL
    if p[P_RECORD] == 1 and g[G_COMP_N] + 2 * p[P_C] > comp.shape[0]:
        return COMP_FULL
    return -1


@njit(cache=True, inline="always", _nrt=False)
def _log_row(g, log, t, cmd, c, r, bg, b, row, col):
    """Append one command to the log buffer."""
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
def _complete(g, comp, rid, done):
    """Record that request ``rid`` completed at cycle ``done``."""
    k = g[G_COMP_N]
    comp[k, 0] = rid
    comp[k, 1] = done
    g[G_COMP_N] = k + 1
