"""DRAM commands and hierarchy levels, numbered for the numba kernels and the command log.

The first eight are the JEDEC commands the constraint table is written for. The PIM commands
after them act on a *set* of banks at once (all, even or odd banks of a rank, or one bank) and
are timed by the constraint table at each bank of the set (see ``TIMED_AS``):

* ``ACTab`` / ``PREab``: open / close the same row in every bank of the set (HBM-PIM all-bank mode);
* ``MACab``: a column read in every bank of the set feeding the PIM units; no data on the bus;
* ``WRab``: a column write of PIM results into every bank of the set; no data on the bus;
* ``WRreg`` / ``RDreg``: the host writes (operand broadcast, program, mode switch) or reads a PIM
  register over the data bus; no bank is accessed.

HBM-PIM triggers its PIM instructions with the standard RD and WR commands of an unmodified
JEDEC controller (Lee et al., ISCA 2021, "Hardware Architecture and Software Stack for PIM Based
on Commercial DRAM Technology", Sec. III), so MACab and WRab are column commands for the
read/write turnaround (tRTW, tWTR) like any RD or WR; only their spacing among themselves is the
PIM units' command interval instead of tCCD, since their data never leaves the banks. They have
their own columns in the constraint table (``TIMED_COMMANDS``); ACTab/PREab are timed as ACT/PRE
and WRreg/RDreg as a WR/RD on the data bus that touches no bank.
"""

from __future__ import annotations

ACT, PRE, RD, WR, RDA, WRA, REFAB, REFPB = range(8)
N_COMMANDS = 8  # the JEDEC commands
ACT_AB, PRE_AB, MAC_AB, WR_AB, WR_REG, RD_REG = range(8, 14)
N_ALL_COMMANDS = 14
COMMAND_NAMES = (
    "ACT", "PRE", "RD", "WR", "RDA", "WRA", "REFab", "REFpb",
    "ACTab", "PREab", "MACab", "WRab", "WRreg", "RDreg",
)  # fmt: skip
COMMAND_IDS = {name: i for i, name in enumerate(COMMAND_NAMES)}
TIMED_COMMANDS = WR_AB + 1  # commands with a column in the constraint table (ids 8, 9 unused)
# The constraint-table column each PIM command is timed as (the others are their own).
TIMED_AS = {ACT_AB: ACT, PRE_AB: PRE, WR_REG: WR, RD_REG: RD}

ROW_COMMANDS = (ACT, PRE, REFAB, REFPB, ACT_AB, PRE_AB)  # the row bus where it is separate
COLUMN_COMMANDS = (RD, WR, RDA, WRA, MAC_AB, WR_AB, WR_REG, RD_REG)
READS = (RD, RDA)
WRITES = (WR, WRA)
ALL_READS = (RD, RDA, MAC_AB)  # every column read, for the read-to-write turnaround
ALL_WRITES = (WR, WRA, WR_AB)

CHANNEL, RANK, BANKGROUP, BANK = range(4)
LEVEL_NAMES = ("channel", "rank", "bankgroup", "bank")

# Bank-set codes for PIM commands (a value >= 0 is one bank: bankgroup * banks_per_group + bank).
SET_ALL, SET_EVEN, SET_ODD = -1, -2, -3
