"""Audit a command log against the DRAM standard: every pairwise constraint, tFAW, the command
bus, bank states, refresh intervals and the PIM units' command rate.

The checker is an implementation of its own, written from the standard's constraint table
(:func:`archsim.memory.constraints.build_constraints`) and the command semantics of
:mod:`archsim.memory.commands`, and shares no code with the timing kernel: the kernel keeps a
*next allowed* cycle per node and command and looks forward, one command at a time, in numba;
the checker takes a whole block of the log at once in numpy and, for every row of the table,
finds for each command of the row's ``next`` kind the latest command of its ``prev`` kind at the
same node (or, for a sibling row, at any other rank of the channel) and compares their distance
with the row's cycles. A rule the kernel gets wrong is therefore caught, not repeated.

What a command touches (from :mod:`archsim.memory.commands`): a host command its channel, rank,
bank group and bank (REFab only channel and rank; a same-bank REFsb that bank in every group);
ACTab, PREab, MACab and WRab every bank of their set (PREab only the banks it finds open) and
the groups, rank and channel above them; WRreg and RDreg the channel and rank (the data bus).
Each is timed as its table column (``TIMED_AS``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from archsim.config.presets import load_system
from archsim.config.system import SystemConfig
from archsim.errors import ArchsimError
from archsim.memory.command_log import read_blocks, read_header
from archsim.memory.commands import (
    ACT,
    ACT_AB,
    BANK,
    BANKGROUP,
    CHANNEL,
    COMMAND_NAMES,
    MAC_AB,
    N_ALL_COMMANDS,
    PRE,
    PRE_AB,
    RANK,
    RD,
    RD_REG,
    RDA,
    REFAB,
    REFPB,
    ROW_COMMANDS,
    SET_ALL,
    SET_EVEN,
    SET_ODD,
    TIMED_AS,
    TIMED_COMMANDS,
    WR,
    WR_AB,
    WR_REG,
    WRA,
)
from archsim.memory.constraints import Constraint, build_constraints
from archsim.memory.pim_cadence import pim_mac_cycles

NEG = -(1 << 60)
MAX_VIOLATIONS = 200
# JEDEC lets a controller postpone up to eight refreshes, so gaps up to 9 x tREFI are legal.
REFRESH_SLACK = 9

HOST_BANK = (ACT, PRE, RD, WR, RDA, WRA)  # host commands naming one bank of one group
BANK_SET = (ACT_AB, PRE_AB, MAC_AB, WR_AB)  # PIM commands on a set of banks
COLUMN_ACCESS = (RD, WR, RDA, WRA, MAC_AB, WR_AB)  # need their row open
_TIMED = np.array([TIMED_AS.get(k, k) for k in range(N_ALL_COMMANDS)], dtype=np.int64)
_IS_ROW = np.isin(np.arange(N_ALL_COMMANDS), ROW_COMMANDS)


@dataclass
class CheckResult:
    system: str
    commands: int
    constraints: int
    violations: list[str] = field(default_factory=list)


def _last_before(p_key, p_idx, p_val, q_key, q_idx):
    """For each query (key, index): the value of the event with that key and the largest index
    below it, and whether there is one. Keys and indices are non-negative int64."""
    if not len(p_key) or not len(q_key):
        return np.zeros(len(q_key), np.int64), np.zeros(len(q_key), bool)
    span = max(int(p_idx.max()), int(q_idx.max())) + 2
    p_comp = p_key * span + p_idx
    order = np.argsort(p_comp, kind="stable")
    p_sorted = p_comp[order]
    pos = np.searchsorted(p_sorted, q_key * span + q_idx, side="left") - 1
    found = pos >= 0
    pos = np.maximum(pos, 0)
    hit = order[pos]
    found &= p_key[hit] == q_key
    return p_val[hit], found


@dataclass
class _Block:
    """The valid rows of one block, column by column (``idx``: their row in the block)."""

    rows: np.ndarray
    idx: np.ndarray
    t: np.ndarray
    cmd: np.ndarray
    c: np.ndarray
    r: np.ndarray
    bg: np.ndarray
    b: np.ndarray
    row: np.ndarray
    rk: np.ndarray  # global rank
    col: np.ndarray  # the constraint-table column each command is timed as
    pim_set: np.ndarray  # a PIM command on a bank set
    host: np.ndarray  # a host command naming one bank


class _Audit:
    """The checker's state between blocks: the last time each column touched each node, the
    open rows, the last ACTs per rank, and the last command on each bus."""

    def __init__(self, cfg: SystemConfig, rules: list[Constraint]) -> None:
        mem = cfg.memory
        org, n = mem.organization, mem.cycles
        self.C, self.R = org.bus_channels, org.ranks
        self.BG, self.BPG = org.bank_groups, org.banks_per_group
        self.NB = self.BG * self.BPG  # banks per rank
        self.PC = org.pseudo_channels
        self.dual = bool(org.dual_command_bus)
        self.nFAW = n.nFAW
        self.refmode = mem.controller.refresh
        self.ref_interval = {REFAB: n.nREFI, REFPB: n.nREFIpb}
        self.pim_interval = pim_mac_cycles(cfg)
        self.rules = rules
        NR = self.C * self.R
        sizes = {CHANNEL: self.C, RANK: NR, BANKGROUP: NR * self.BG, BANK: NR * self.NB}
        self.last = {lv: np.full((m, TIMED_COMMANDS), NEG, np.int64) for lv, m in sizes.items()}
        self.open_row = np.full(NR * self.NB, -1, np.int64)
        self.acts = np.full((NR, 4), NEG, np.int64)  # last four ACTs per rank, oldest first
        self.bus = np.full(2 * self.C, NEG, np.int64)  # last command per (channel, bus)
        self.last_ref = np.zeros(NR, np.int64)  # refresh gaps count from cycle 0
        self.last_pim = np.full(self.C, NEG, np.int64)
        self.last_t = NEG
        self.found: list[tuple[int, int, str]] = []  # (row, order, message)
        self.total = 0

    # -- helpers ------------------------------------------------------------------------------
    def _flag(self, rows, index, message, order=0) -> None:
        for i, m in zip(np.atleast_1d(index).tolist(), message, strict=True):
            self.found.append((i, order, f"command #{self.first + i}: {self._head(rows[i])} {m}"))

    @staticmethod
    def _head(row) -> str:
        t, cmd = int(row[0]), COMMAND_NAMES[int(row[1])]
        return f"{cmd} at cycle {t} (ch{row[2]} rank{row[3]} bg{row[4]} bank{row[5]})"

    def _set_banks(self, code: np.ndarray) -> np.ndarray:
        """[len(code), NB] mask of the local banks (group * BPG + bank) in each bank set."""
        lb = np.arange(self.NB)
        return (
            (code[:, None] == SET_ALL)
            | ((code[:, None] == SET_EVEN) & (lb % 2 == 0))
            | ((code[:, None] == SET_ODD) & (lb % 2 == 1))
            | (code[:, None] == lb)
        )

    # -- one block ----------------------------------------------------------------------------
    def block(self, rows: np.ndarray, first: int) -> None:
        """Check one block of log rows (continuing the blocks before it)."""
        self.first = first
        self.total += len(rows)
        k = self._valid(rows)
        if k is None:
            return
        self._order_and_bus(k)
        b_pos, b_node = self._bank_events(k)
        state = self._bank_states(k, b_pos, b_node)
        # A PREab precharges (and is timed at) only the banks it finds open.
        keep = ~((k.cmd[b_pos] == PRE_AB) & (state < 0))
        self._pairwise(k, self._level_events(k, b_pos[keep], b_node[keep]))
        self._faw(k)
        self._refresh(k)
        self._pim_rate(k)

    def _valid(self, rows: np.ndarray) -> _Block | None:
        """Flag rows naming nodes or commands the system lacks; the others, as a _Block."""
        t, cmd, c, r, bg, b, row = (rows[:, k] for k in range(7))
        C, R, BG, BPG, NB = self.C, self.R, self.BG, self.BPG, self.NB
        valid_cmd = (cmd >= 0) & (cmd < N_ALL_COMMANDS)
        safe_cmd = np.where(valid_cmd, cmd, 0)
        pim_set = np.isin(safe_cmd, BANK_SET) & valid_cmd
        reg = np.isin(safe_cmd, (WR_REG, RD_REG)) & valid_cmd
        host = np.isin(safe_cmd, HOST_BANK) & valid_cmd
        ok = valid_cmd & (c >= 0) & (c < C) & (r >= 0) & (r < R)
        ok &= np.where(
            host,
            (bg >= 0) & (bg < BG) & (b >= 0) & (b < BPG) & (row >= 0),
            True,
        )
        ok &= np.where(cmd == REFPB, (bg >= -1) & (bg < BG) & (b >= 0) & (b < BPG), True)
        ok &= np.where(pim_set | reg, (bg == -1) & (b >= SET_ODD) & (b < NB), True)
        for i in np.flatnonzero(~ok):
            self.found.append(
                (
                    int(i),
                    0,
                    f"command #{self.first + i}: {self._head(rows[i])} names a channel, rank,"
                    " bank or command the system does not have",
                )
            )
        idx = np.flatnonzero(ok)
        if not len(idx):
            return None
        t, cmd, c, r, bg, b, row = (x[idx] for x in (t, cmd, c, r, bg, b, row))
        return _Block(
            rows, idx, t, cmd, c, r, bg, b, row, c * R + r, _TIMED[cmd], pim_set[idx], host[idx]
        )

    def _order_and_bus(self, k: _Block) -> None:
        """Commands in time order; one command per command bus per cycle."""
        rows, idx, t, cmd, c = k.rows, k.idx, k.t, k.cmd, k.c
        prev_t = np.concatenate([[self.last_t], t[:-1]])
        bad = t < prev_t
        self._flag(
            rows,
            idx[bad],
            [f"goes back in time (previous command at cycle {p})" for p in prev_t[bad]],
        )
        self.last_t = int(t[-1])

        # Command bus: one command per bus per cycle, pseudo-channels sharing their channel's.
        bus = (c // self.PC) * 2 + np.where(self.dual & ~_IS_ROW[cmd], 1, 0)
        before, found = _last_before(bus, np.arange(len(t)), t, bus, np.arange(len(t)))
        before = np.where(found, before, self.bus[bus])
        bad = before == t
        self._flag(
            rows, idx[bad], ["shares its command bus cycle with another command"] * int(bad.sum())
        )
        np.maximum.at(self.bus, bus, t)

    def _bank_events(self, k: _Block) -> tuple[np.ndarray, np.ndarray]:
        """(command position, bank) of every bank each command touches."""
        t, cmd, bg, b, rk = k.t, k.cmd, k.bg, k.b, k.rk
        BG, BPG, NB = self.BG, self.BPG, self.NB
        pim_set, host = k.pim_set, k.host
        pos = np.arange(len(t))
        # Banks: host commands their own; REFpb its bank (every group's for same-bank); sets.
        h = host | ((cmd == REFPB) & (bg >= 0))
        bank_pos = [pos[h]]
        bank_node = [(rk[h] * BG + bg[h]) * BPG + b[h]]
        sb = (cmd == REFPB) & (bg < 0)
        for g2 in range(BG):
            bank_pos.append(pos[sb])
            bank_node.append((rk[sb] * BG + g2) * BPG + b[sb])
        sets = self._set_banks(np.where(pim_set, b, 0)) & pim_set[:, None]
        sp, slb = np.nonzero(sets)
        bank_pos.append(sp)
        bank_node.append(rk[sp] * NB + slb)
        return np.concatenate(bank_pos), np.concatenate(bank_node)

    def _bank_states(self, k: _Block, b_pos: np.ndarray, b_node: np.ndarray) -> np.ndarray:
        """The open row (-1: closed) each command finds at each bank it touches; flags
        commands that find the wrong state and carries the open rows to the next block."""
        rows, idx, cmd, row, rk = k.rows, k.idx, k.cmd, k.row, k.rk
        BG, BPG, NB = self.BG, self.BPG, self.NB
        opens = np.isin(cmd[b_pos], (ACT, ACT_AB))
        closes = np.isin(cmd[b_pos], (PRE, PRE_AB, RDA, WRA))
        change = opens | closes
        state_val = np.where(opens, row[b_pos], -1)[change]
        st, found = _last_before(b_node[change], b_pos[change], state_val, b_node, b_pos)
        state = np.where(found, st, self.open_row[b_node])
        kind = cmd[b_pos]
        bad = np.isin(kind, (ACT, ACT_AB)) & (state >= 0)
        self._flag(
            rows,
            idx[b_pos[bad]],
            [f"activates a bank whose row {s} is still open" for s in state[bad]],
            1,
        )
        bad = (kind == PRE) & (state < 0)
        self._flag(
            rows, idx[b_pos[bad]], ["precharges a bank that is already closed"] * int(bad.sum()), 1
        )
        access = np.isin(kind, COLUMN_ACCESS)
        bad = access & (state < 0)
        self._flag(rows, idx[b_pos[bad]], ["accesses a closed bank"] * int(bad.sum()), 1)
        bad = access & (state >= 0) & (state != row[b_pos])
        self._flag(
            rows,
            idx[b_pos[bad]],
            [
                f"accesses row {w} while row {s} is open"
                for w, s in zip(row[b_pos[bad]], state[bad], strict=True)
            ],
            1,
        )
        bad = (kind == REFPB) & (state >= 0)
        self._flag(
            rows,
            idx[b_pos[bad]],
            [f"refreshes a bank that is open (bank group {n // BPG % BG})" for n in b_node[bad]],
            1,
        )
        # REFab: every bank of the rank closed.
        ra = np.flatnonzero(cmd == REFAB)
        if len(ra):
            q_pos = np.repeat(ra, NB)
            q_node = (rk[ra][:, None] * NB + np.arange(NB)).ravel()
            st, found = _last_before(b_node[change], b_pos[change], state_val, q_node, q_pos)
            st = np.where(found, st, self.open_row[q_node]).reshape(len(ra), NB)
            for k, i in enumerate(ra):
                open_banks = np.flatnonzero(st[k] >= 0)
                if len(open_banks):
                    self._flag(
                        rows, idx[i], [f"refreshes the rank while bank {open_banks[0]} is open"], 1
                    )
        # Carry the open rows: the last state change of each bank.
        if change.any():
            ch_pos, ch_node = b_pos[change], b_node[change]
            o = np.lexsort((ch_pos, ch_node))
            nodes = ch_node[o]
            is_last = np.r_[nodes[1:] != nodes[:-1], True]
            self.open_row[nodes[is_last]] = state_val[o][is_last]

        return state

    def _level_events(self, k: _Block, b_pos: np.ndarray, b_node: np.ndarray) -> dict:
        """Level -> (command position, node) of every node each command touches."""
        pos = np.arange(len(k.t))
        ev = {CHANNEL: (pos, k.c), RANK: (pos, k.rk), BANK: (b_pos, b_node)}
        g_comb = np.unique(b_pos * (len(self.last[BANKGROUP]) + 1) + b_node // self.BPG)
        g_pos, g_node = (
            g_comb // (len(self.last[BANKGROUP]) + 1),
            g_comb % (len(self.last[BANKGROUP]) + 1),
        )
        not_refpb = k.cmd[g_pos] != REFPB
        g_keep = not_refpb | (k.bg[g_pos] >= 0)  # a same-bank refresh names no group
        ev[BANKGROUP] = (g_pos[g_keep], g_node[g_keep])

        return ev

    def _pairwise(self, k: _Block, ev: dict) -> None:
        """Every row of the table: the latest prev command at the node (or at another rank of
        the channel, for a sibling row) before each next command, and their distance."""
        rows, idx, t, col = k.rows, k.idx, k.t, k.col
        R = self.R
        for n_rule, rule in enumerate(self.rules):
            e_pos, e_node = ev[rule.level]
            e_col = col[e_pos]
            q = e_col == rule.next
            if not q.any():
                continue
            p = e_col == rule.prev
            q_pos, q_node = e_pos[q], e_node[q]
            if rule.sibling:  # the latest prev at any other rank of the channel
                last = np.full(len(q_pos), NEG, np.int64)
                for r2 in range(R):
                    other = q_node // R * R + r2
                    v, found = _last_before(e_node[p], e_pos[p], t[e_pos[p]], other, q_pos)
                    v = np.where(found, v, self.last[rule.level][other, rule.prev])
                    last = np.where(other != q_node, np.maximum(last, v), last)
            else:
                v, found = _last_before(e_node[p], e_pos[p], t[e_pos[p]], q_node, q_pos)
                last = np.where(found, v, self.last[rule.level][q_node, rule.prev])
            gap = t[q_pos] - last
            bad = gap < rule.cycles
            if bad.any():
                # One message per command (a set command meets the rule at many banks).
                cmds, first_bank = np.unique(q_pos[bad], return_index=True)
                lasts = last[bad][first_bank]
                self._flag(
                    rows,
                    idx[cmds],
                    [
                        f"violates {rule.name}: {int(t[i] - a)} cycles after"
                        f" {COMMAND_NAMES[rule.prev]} at cycle {int(a)}, needs {rule.cycles}"
                        for i, a in zip(cmds, lasts, strict=True)
                    ],
                    2 + n_rule,
                )
        for level, (e_pos, e_node) in ev.items():
            np.maximum.at(self.last[level], (e_node, col[e_pos]), t[e_pos])

    def _faw(self, k: _Block) -> None:
        """tFAW: the fifth ACT (ACTab counts once) of a rank within nFAW of the first."""
        rows, idx, t, cmd, rk = k.rows, k.idx, k.t, k.cmd, k.rk
        act = np.flatnonzero(np.isin(cmd, (ACT, ACT_AB)))
        for rank in np.unique(rk[act]):
            times = np.concatenate([self.acts[rank], t[act[rk[act] == rank]]])
            mine = act[rk[act] == rank]
            early = times[4:] - times[:-4] < self.nFAW
            self._flag(
                rows,
                idx[mine[early]],
                [
                    f"is the fifth ACT within tFAW = {self.nFAW} cycles (the fourth before it"
                    f" was at {a})"
                    for a in times[:-4][early]
                ],
                1000,
            )
            self.acts[rank] = times[-4:]

    def _refresh(self, k: _Block) -> None:
        """Refresh intervals: at most REFRESH_SLACK intervals between refreshes of a rank."""
        rows, idx, t, cmd, rk = k.rows, k.idx, k.t, k.cmd, k.rk
        ref = np.flatnonzero((cmd == REFAB) | (cmd == REFPB))
        for i in ref:
            interval = self.ref_interval[int(cmd[i])]
            if t[i] - self.last_ref[rk[i]] > REFRESH_SLACK * interval:
                self._flag(
                    rows,
                    idx[i],
                    [
                        f"comes {int(t[i] - self.last_ref[rk[i]])} cycles after the previous"
                        f" refresh (at most {REFRESH_SLACK} x {interval})"
                    ],
                    1001,
                )
            self.last_ref[rk[i]] = t[i]

    def _pim_rate(self, k: _Block) -> None:
        """The PIM units take an in-bank command at most every pim_interval cycles."""
        rows, idx, t, cmd, c = k.rows, k.idx, k.t, k.cmd, k.c
        inb = np.flatnonzero(np.isin(cmd, (MAC_AB, WR_AB)))
        for ch in np.unique(c[inb]):
            mine = inb[c[inb] == ch]
            times = np.concatenate([[self.last_pim[ch]], t[mine]])
            early = np.diff(times) < self.pim_interval
            self._flag(
                rows,
                idx[mine[early]],
                [
                    f"follows the previous in-bank PIM command (cycle {a}) closer than"
                    f" {self.pim_interval} cycles"
                    for a in times[:-1][early]
                ],
                1002,
            )
            self.last_pim[ch] = times[-1]

    def finish(self) -> list[str]:
        """What only the end of the log shows: ranks left without refresh."""
        messages = []
        if self.refmode != "none" and self.total:
            interval = self.ref_interval[REFAB if self.refmode == "all-bank" else REFPB]
            for rank, when in enumerate(self.last_ref):
                if self.last_t - when > REFRESH_SLACK * interval:
                    messages.append(
                        f"rank {rank % self.R} of channel {rank // self.R}: no refresh for"
                        f" {self.last_t - when} cycles at the end of the log (at most"
                        f" {REFRESH_SLACK} x {interval} allowed)"
                    )
        return messages


def check_command_log(path: str | Path, system: str | SystemConfig | None = None) -> CheckResult:
    """Check a command log; ``system`` defaults to the one named in the log's header."""
    path = Path(path)
    if not path.is_file():
        raise ArchsimError(f"{path}: no such file")
    try:
        header = read_header(path)
    except ValueError as exc:
        raise ArchsimError(f"{path}: {exc}") from None
    if system is None:
        if "system" not in header:
            raise ArchsimError(f"{path}: the header names no system; pass --system")
        system = header["system"]
        overrides = None
        if "overrides" in header:
            try:
                overrides = json.loads(header["overrides"])
            except json.JSONDecodeError:
                raise ArchsimError(f"{path}: the header's overrides are not valid JSON") from None
        cfg = load_system(system, overrides)
    else:
        cfg = load_system(system) if isinstance(system, str) else system
    mem = cfg.memory
    if "standard" in header and header["standard"] != mem.standard:
        raise ArchsimError(
            f"{path}: log is from a {header['standard']} system but {cfg.name} is {mem.standard}"
        )
    rules = build_constraints(mem.cycles)
    audit = _Audit(cfg, rules)
    messages: list[str] = []
    try:
        for first_line, rows in read_blocks(path):
            audit.found = []
            audit.block(rows, first_line)
            messages += [m for _, _, m in sorted(audit.found, key=lambda x: (x[0], x[1]))]
            if len(messages) >= MAX_VIOLATIONS:
                messages = messages[:MAX_VIOLATIONS]
    except ValueError as exc:
        raise ArchsimError(f"{path}: {exc}") from None
    tail = audit.finish()
    return CheckResult(
        cfg.name, audit.total, len(rules), (messages + tail)[: MAX_VIOLATIONS + len(tail)]
    )
