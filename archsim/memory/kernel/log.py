"""Outputs the kernel hands back: the command log and request completions.

Both go to fixed-size buffers (``log``: cycle, command, channel, rank, bank group, bank, row,
column; ``comp``: request id, completion cycle); :func:`archsim.memory.kernel.loop.run` returns
LOG_FULL / COMP_FULL before a pass could overflow one, and the caller flushes it and calls again.
"""

from __future__ import annotations

from numba import njit

from archsim.memory.kernel.layout import (
    G_COMP_N,
    G_LOG_N,
)


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
