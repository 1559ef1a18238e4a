"""DRAM commands and hierarchy levels, numbered for the numba kernels and the command log."""

from __future__ import annotations

ACT, PRE, RD, WR, RDA, WRA, REFAB, REFPB = range(8)
N_COMMANDS = 8
COMMAND_NAMES = ("ACT", "PRE", "RD", "WR", "RDA", "WRA", "REFab", "REFpb")
COMMAND_IDS = {name: i for i, name in enumerate(COMMAND_NAMES)}

ROW_COMMANDS = (ACT, PRE, REFAB, REFPB)  # travel on the row command bus where it is separate
COLUMN_COMMANDS = (RD, WR, RDA, WRA)
READS = (RD, RDA)
WRITES = (WR, WRA)

CHANNEL, RANK, BANKGROUP, BANK = range(4)
LEVEL_NAMES = ("channel", "rank", "bankgroup", "bank")
