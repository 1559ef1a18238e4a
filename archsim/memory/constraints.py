"""The JEDEC timing constraints of a standard, as a table (Ramulator 2's idea, our own table).

Each row says: after command ``prev`` at some node of ``level``, command ``next`` at the same node
(or, when ``sibling`` is set, at any *other* node of that level under the same parent) must wait
``cycles``. The timing kernel (numba) enforces the table forward, one command at a time ("next
allowed time" per node); the log checker (:mod:`archsim.memory.checker`, numpy, sharing no code
with the kernel) checks each row over a whole log backward ("time since the latest such command
at that node"), so the two implementations audit each other, and the closed-form validation
audits the table. ``tests/test_checker_rules.py`` breaks every row by one cycle.

The four-activate window (tFAW) and the bank state machine are not pairwise and are handled by
both implementations separately.

The in-bank PIM column commands (MACab as a read, WRab as a write, at every bank of their set;
see :mod:`archsim.memory.commands`) have rows of their own: the bank's own constraints and the
read/write turnaround at bank group and rank, as their RD/WR trigger has under a JEDEC
controller. The same-direction column spacing (tCCD, tBL on the data bus) binds data-bus
commands only; in-bank commands are paced among themselves by the PIM units' interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archsim.config.dram import CycleTimings
from archsim.memory.commands import (
    ACT,
    ALL_READS,
    ALL_WRITES,
    BANK,
    BANKGROUP,
    CHANNEL,
    MAC_AB,
    PRE,
    RANK,
    RD,
    RDA,
    READS,
    REFAB,
    REFPB,
    TIMED_COMMANDS,
    WR,
    WR_AB,
    WRA,
    WRITES,
)


@dataclass(frozen=True)
class Constraint:
    prev: int
    next: int
    level: int
    sibling: bool
    cycles: int
    name: str


def build_constraints(n: CycleTimings) -> list[Constraint]:
    """All pairwise constraints for the resolved timings ``n`` (latencies <= 0 are dropped)."""
    rows: list[Constraint] = []

    def add(prevs, nexts, level, cycles, name, sibling=False):
        for p in _tuple(prevs):
            for q in _tuple(nexts):
                if cycles > 0:
                    rows.append(Constraint(p, q, level, sibling, int(cycles), name))

    write_to_pre = n.nCWL + n.nBL + n.nWR
    # Same bank.
    add(ACT, ACT, BANK, n.nRC, "tRC")
    add(ACT, PRE, BANK, n.nRAS, "tRAS")
    add(ACT, READS, BANK, n.nRCD, "tRCD")
    add(ACT, WRITES, BANK, n.nRCDW, "tRCDW")
    add(PRE, (ACT, REFPB), BANK, n.nRP, "tRP")
    add(RD, PRE, BANK, n.nRTP, "tRTP")
    add(WR, PRE, BANK, write_to_pre, "tCWL+tBL+tWR")
    add(RDA, (ACT, REFPB), BANK, n.nRTP + n.nRP, "tRTP+tRP")
    add(WRA, (ACT, REFPB), BANK, write_to_pre + n.nRP, "tCWL+tBL+tWR+tRP")
    add(ACT, REFPB, BANK, n.nRAS + n.nRP, "tRAS+tRP")
    add(REFPB, (ACT, REFPB), BANK, n.nRFCpb, "tRFCpb")
    # In-bank PIM column commands at each bank of their set (Lee et al., ISCA 2021: a RD or WR).
    add(ACT, MAC_AB, BANK, n.nRCD, "tRCD")
    add(ACT, WR_AB, BANK, n.nRCDW, "tRCDW")
    add(MAC_AB, PRE, BANK, n.nRTP, "tRTP")
    add(WR_AB, PRE, BANK, write_to_pre, "tCWL+tBL+tWR")
    # Same bank group.
    add(ACT, ACT, BANKGROUP, n.nRRD_L, "tRRD_L")
    add(READS, READS, BANKGROUP, n.nCCD_L, "tCCD_L")
    add(WRITES, WRITES, BANKGROUP, n.nCCD_L_WR, "tCCD_L_WR")
    add(ALL_WRITES, ALL_READS, BANKGROUP, n.nCWL + n.nBL + n.nWTR_L, "tCWL+tBL+tWTR_L")
    # Same rank.
    add(ACT, ACT, RANK, n.nRRD_S, "tRRD_S")
    add(READS, READS, RANK, n.nCCD_S, "tCCD_S")
    add(WRITES, WRITES, RANK, n.nCCD_S, "tCCD_S")
    add(ALL_READS, ALL_WRITES, RANK, n.nRTW, "tRTW")
    add(ALL_WRITES, ALL_READS, RANK, n.nCWL + n.nBL + n.nWTR_S, "tCWL+tBL+tWTR_S")
    # All-bank refresh needs every bank precharged; these bound it from the last bank activity.
    add(ACT, REFAB, RANK, n.nRAS + n.nRP, "tRAS+tRP")
    add(PRE, REFAB, RANK, n.nRP, "tRP")
    add(RDA, REFAB, RANK, n.nRTP + n.nRP, "tRTP+tRP")
    add(WRA, REFAB, RANK, write_to_pre + n.nRP, "tCWL+tBL+tWR+tRP")
    add(REFAB, (ACT, REFAB, REFPB), RANK, n.nRFC, "tRFC")
    add(REFPB, REFAB, RANK, n.nRFCpb, "tRFCpb")
    add(REFPB, (ACT, REFPB), RANK, n.nRREFD, "tRREFD")
    # Shared data bus: bursts never overlap; a rank switch adds tRTRS.
    add(READS, READS, CHANNEL, n.nBL, "tBL")
    add(WRITES, WRITES, CHANNEL, n.nBL, "tBL")
    add(READS, READS, RANK, n.nBL + n.nRTRS, "tBL+tRTRS", sibling=True)
    add(WRITES, WRITES, RANK, n.nBL + n.nRTRS, "tBL+tRTRS", sibling=True)
    add(READS, WRITES, RANK, n.nCL + n.nBL + n.nRTRS - n.nCWL, "tCL+tBL+tRTRS-tCWL", sibling=True)
    add(WRITES, READS, RANK, n.nCWL + n.nBL + n.nRTRS - n.nCL, "tCWL+tBL+tRTRS-tCL", sibling=True)
    return rows


def _tuple(x) -> tuple[int, ...]:
    return x if isinstance(x, tuple) else (x,)


def constraint_arrays(rows: list[Constraint]) -> tuple[np.ndarray, ...]:
    """CSR by ``prev``: (start[TIMED_COMMANDS+1], next, level, sibling, cycles), int64 arrays."""
    rows = sorted(rows, key=lambda r: r.prev)
    start = np.zeros(TIMED_COMMANDS + 1, dtype=np.int64)
    for r in rows:
        start[r.prev + 1] += 1
    start = np.cumsum(start)
    return (
        start.astype(np.int64),
        np.array([r.next for r in rows], dtype=np.int64),
        np.array([r.level for r in rows], dtype=np.int64),
        np.array([int(r.sibling) for r in rows], dtype=np.int64),
        np.array([r.cycles for r in rows], dtype=np.int64),
    )
