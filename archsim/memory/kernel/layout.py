"""The timing kernel's state layout: every array it keeps, and the named fields of each.

numba compiles integer module constants into the code, so the fields are plain ``int``
constants; each group is declared by a table of ``(name, meaning)`` pairs, and the constants
below a table are its names in table order (``tests/test_kernel_layout.py`` checks that they
agree, so a field is added in one table row plus one name). :func:`describe` turns a state
array row back into named values for debugging.

The kernel's arrays (:class:`KernelState`, built by :class:`archsim.memory.controller.DramTiming`)
hold everything between calls, so successive calls continue one simulation exactly.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

INF = np.int64(1) << np.int64(62)

# -- The arrays --------------------------------------------------------------------------------
STATE_ARRAYS = (
    ("cs_start", "[commands + 1] constraint rows by previous command (CSR start)"),
    ("cs_tab", "[rows, 4] constraint row: next command, level, sibling flag, cycles"),
    ("na", "[nodes, commands] next allowed cycle per node (channels, ranks, groups, banks)"),
    ("open_row", "[banks] open row per bank, -1 when precharged"),
    ("hits", "[banks, 2] queued read / write entries hitting the bank's open row"),
    ("q", "[channels, 2, slots, QF] read and write queue slots (QUEUE_FIELDS)"),
    ("order", "[channels, 2, slots] live slots oldest first, then the free ones"),
    ("hot", "[channels, 2, H, slots] scanned fields mirrored in queue order (HOT_FIELDS)"),
    ("bq", "[banks, 2, BQ] per-bank queue summary (BANK_QUEUE_FIELDS)"),
    ("alist", "[channels, 2, banks per channel] banks with queued work"),
    ("ch_st", "[channels, CF] per-channel state (CHANNEL_FIELDS)"),
    ("rk_st", "[ranks, RF] per-rank state (RANK_FIELDS)"),
    ("faw", "[ranks, 4] cycles of the last four ACTs (tFAW ring)"),
    ("cnt", "[channels, CNT] counters (COUNTERS)"),
    ("hist", "[HIST_BINS] read latency histogram, one bin per cycle"),
    ("g", "[G] global state (GLOBAL_FIELDS)"),
    ("log", "[rows, 8] command log buffer: cycle, command, channel, rank, group, bank, row, col"),
    ("comp", "[rows, 2] completion buffer: request id, completion cycle"),
    ("rscr", "[ranks, 3] scratch: per-rank earliest ACT, PRE, column command of a scan"),
    ("pq", "[channels, slots, PQF] PIM program FIFO (PIM_FIELDS)"),
)
KernelState = namedtuple("KernelState", [name for name, _ in STATE_ARRAYS])

# -- Queues ------------------------------------------------------------------------------------
# q[channel, read/write, slot, field] holds entries in slots; order[channel, read/write] is a
# permutation of the slots whose first n (the queue length) list live entries oldest first, and
# the rest free slots. Dequeuing shifts only that small index list.
QUEUE_FIELDS = (
    ("ID", "request id (trace order)"),
    ("RANK", "rank within the channel"),
    ("BG", "bank group within the rank"),
    ("BANK", "bank within the group"),
    ("ROW", "row"),
    ("COL", "column"),
    ("ENQ", "cycle the request entered the queue"),
    ("ACT", "1 once an ACT was issued for it (not a row hit)"),
    ("RK", "global rank node index"),
    ("GBG", "global bank-group node index"),
    ("GB", "global bank node index"),
)
QF_ID, QF_RANK, QF_BG, QF_BANK, QF_ROW, QF_COL, QF_ENQ, QF_ACT, QF_RK, QF_GBG, QF_GB = range(11)
N_QF = len(QUEUE_FIELDS)

# The fields every scan reads, mirrored in hot[channel, read/write, field, position] in queue
# (age) order, so the scheduler walks contiguous memory without the slot indirection.
HOT_FIELDS = (
    ("GB", "global bank"),
    ("ROW", "row"),
    ("SEQ", "sequence number (age) in the channel"),
)
H_GB, H_ROW, H_SEQ = range(3)
N_H = len(HOT_FIELDS)

# Per-bank queue summary bq[bank, read/write, field]. All entries of a bank that want the same
# command are ready at the same cycle, so FR-FCFS only ever needs two candidates per bank (its
# oldest hit and its oldest other entry): the scheduler walks banks with work, not entries.
BANK_QUEUE_FIELDS = (
    ("N", "entries queued for the bank"),
    ("HIT", "sequence number of its oldest entry hitting the open row (INF if none)"),
    ("OTHER", "sequence number of its oldest other entry (INF if none)"),
    ("POS", "the bank's position in its channel's active list (alist)"),
)
BQ_N, BQ_HIT, BQ_OTHER, BQ_POS = range(4)
N_BQ = len(BANK_QUEUE_FIELDS)

# -- Ranks and channels ------------------------------------------------------------------------
RANK_FIELDS = (
    ("OPEN", "banks with an open row"),
    ("LAST", "cycle OPEN last went from or to zero"),
    ("ACTIVE_CYC", "cycles with some bank open (background energy)"),
    ("IDLE_CYC", "cycles with every bank precharged"),
    ("REF_DUE", "cycle the next refresh is due"),
    ("REF_PEND", "1 while a due refresh waits to issue"),
    ("PB_NEXT", "next per-bank refresh unit (bank, or group-major bank index)"),
    ("FAW_N", "ACTs in the tFAW ring (up to 4)"),
    ("FAW_I", "oldest entry of the tFAW ring"),
)
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
N_RF = len(RANK_FIELDS)

CHANNEL_FIELDS = (
    ("MODE", "queue being served: 0 reads, 1 writes (write drain)"),
    ("RQ_N", "read queue length"),
    ("WQ_N", "write queue length (RQ_N + 1: indexed as RQ_N + queue)"),
    ("WAKE", "next cycle worth scanning the channel (INF when idle)"),
    ("BUS_ROW", "first cycle the row (or only) command bus is free"),
    ("BUS_COL", "first cycle the column command bus is free"),
    ("HITS0", "queued reads whose row is open in their bank"),
    ("HITS1", "queued writes whose row is open in their bank"),
    ("CUR", "this channel's requests of the current batch admitted so far"),
    ("AN0", "banks in the read queue's active list"),
    ("AN1", "banks in the write queue's active list"),
    ("SEQ", "next entry sequence number"),
    ("PQ_HEAD", "PIM FIFO head slot"),
    ("PQ_N", "PIM FIFO length"),
    ("PIM_NEXT", "first cycle the PIM units take another in-bank command"),
)
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
N_CF = len(CHANNEL_FIELDS)

# PIM programs: pq[channel, slot, field] is a FIFO of PIM commands issued strictly in order.
# While a channel has a program, its host queues wait: the memory is in PIM mode, as HBM-PIM's
# all-bank modes shut out normal accesses.
PIM_FIELDS = (
    ("CMD", "PIM command (commands.ACT_AB ...)"),
    ("SET", "bank set code (commands.SET_*) or one bank"),
    ("RANK", "rank"),
    ("ROW", "row"),
    ("COL", "column"),
    ("ID", "request id"),
    ("ENQ", "cycle it entered the FIFO"),
)
PQF_CMD, PQF_SET, PQF_RANK, PQF_ROW, PQF_COL, PQF_ID, PQF_ENQ = range(7)
N_PQF = len(PIM_FIELDS)

# -- Counters and global state -----------------------------------------------------------------
COUNTERS = (
    ("READS", "read requests served"),
    ("WRITES", "write requests served"),
    ("ACT", "ACT commands"),
    ("PRE", "explicit PRE commands"),
    ("RDA", "reads issued as RDA"),
    ("WRA", "writes issued as WRA"),
    ("REFAB", "all-bank refreshes"),
    ("REFPB", "per-bank refreshes"),
    ("HIT_R", "reads served without their own ACT"),
    ("HIT_W", "writes served without their own ACT"),
    ("LAT_SUM", "sum of read latencies (cycles)"),
    ("LAST_DATA", "cycle the last data beat ended"),
    ("LAT_MAX", "longest read latency"),
    ("PIM_CMDS", "PIM commands issued"),
    ("PIM_ACT_BANKS", "banks opened by ACTab"),
    ("PIM_PRE_BANKS", "banks closed by PREab"),
    ("PIM_MAC_BANKS", "banks read by MACab"),
    ("PIM_WR_BANKS", "banks written by WRab"),
    ("PIM_REG_WR", "PIM register writes"),
    ("PIM_REG_RD", "PIM register reads"),
)
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
N_CNT = len(COUNTERS)

GLOBAL_FIELDS = (
    ("T", "current cycle"),
    ("LOG_N", "rows in the command log buffer"),
    ("COMP_N", "rows in the completion buffer"),
    ("DEMAND", "ACTs issued for requests"),
    ("ITERS", "main loop passes"),
    ("SCANS", "channel scans"),
    ("QUEUED", "requests and PIM commands queued"),
    ("NEXT_REF", "earliest cycle a refresh falls due"),
    ("HEAD", "oldest request id not yet admitted, as fixed at cycle HEAD_T"),
    ("HEAD_T", "cycle HEAD was fixed (the front end admits ids below HEAD + window)"),
)
(G_T, G_LOG_N, G_COMP_N, G_DEMAND, G_ITERS, G_SCANS, G_QUEUED, G_NEXT_REF, G_HEAD, G_HEAD_T) = (
    range(10)
)
N_G = len(GLOBAL_FIELDS)

# -- Parameters (one int64 vector) -------------------------------------------------------------
PARAMS = (
    ("C", "bus channels"),
    ("R", "ranks per channel"),
    ("BG", "bank groups per rank (a power of two)"),
    ("BPG", "banks per group (a power of two)"),
    ("Q", "queue depth"),
    ("FRFCFS", "1 for FR-FCFS, 0 for FCFS"),
    ("CLOSED", "1 for the closed-row policy"),
    ("REFMODE", "REFMODE_NONE, REFMODE_ALL or REFMODE_PB"),
    ("SAMEBANK", "1 when per-bank refresh is same-bank (one bank of every group)"),
    ("DUAL", "1 with separate row and column command buses"),
    ("HIGH", "write queue length that starts a drain"),
    ("LOW", "write queue length that ends it"),
    ("CL", "read latency"),
    ("CWL", "write latency"),
    ("BL", "burst cycles"),
    ("FAW", "tFAW"),
    ("REFI", "all-bank refresh interval"),
    ("REFIPB", "per-bank refresh interval"),
    ("LOG", "1 to log commands"),
    ("RECORD", "1 to record completions"),
    ("WINDOW", "front-end window (requests past the oldest not admitted)"),
    ("BG_SH", "log2 of BG: bank indices split with shifts, not divisions"),
    ("BPG_SH", "log2 of BPG"),
    ("O_RK", "first rank node in na (channel nodes come first)"),
    ("O_BG", "first bank-group node in na"),
    ("O_BK", "first bank node in na"),
    ("PIM_MAC", "cycles between in-bank PIM commands on a channel"),
    ("GUARD", "cycles after which every constraint a command sets has expired"),
    ("PC", "pseudo-channels per channel, sharing its command pins (JESD235)"),
)
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
N_P = len(PARAMS)

REFMODE_NONE, REFMODE_ALL, REFMODE_PB = 0, 1, 2

# _apply modes: every constraint; data bus and rank only (a PIM register access, no bank).
APPLY_ALL, APPLY_BUS_ONLY = 0, 2

# run() return codes (a negative code: nothing can ever issue, a controller bug).
DONE_BATCH, DONE_ALL, LOG_FULL, COMP_FULL = 0, 1, 2, 3

N_RS = 3  # rscr columns: earliest ACT, PRE and column command per rank
N_LOG = 8  # log columns
HIST_BINS = 1 << 16  # latency histogram: one bin per cycle up to this; beyond it, only the max

# Prefix of each table's constants, for the layout test and describe().
TABLES = {
    "QF_": QUEUE_FIELDS,
    "H_": HOT_FIELDS,
    "BQ_": BANK_QUEUE_FIELDS,
    "RF_": RANK_FIELDS,
    "CF_": CHANNEL_FIELDS,
    "PQF_": PIM_FIELDS,
    "CNT_": COUNTERS,
    "G_": GLOBAL_FIELDS,
    "P_": PARAMS,
}


def describe(prefix: str, row: np.ndarray) -> dict[str, int]:
    """Name the values of one state row, e.g. ``describe("CF_", timing.state.ch_st[0])``."""
    return {name: int(row[k]) for k, (name, _) in enumerate(TABLES[prefix])}
