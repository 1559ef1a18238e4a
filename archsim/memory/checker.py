"""Audit a command log against the DRAM standard: every pairwise constraint, tFAW, the command
bus, bank states, and refresh intervals.

The checker is written independently of the timing kernel: it keeps the *last* time each command
was issued at each node and looks backwards, where the kernel keeps the *next allowed* time and
looks forwards. Both read the same constraint table, which the closed-form validation checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numba import njit

from archsim.config.presets import load_system
from archsim.config.system import SystemConfig
from archsim.errors import ArchsimError
from archsim.memory.command_log import read_blocks, read_header
from archsim.memory.commands import (
    ACT,
    ACT_AB,
    COMMAND_NAMES,
    MAC_AB,
    PRE,
    PRE_AB,
    RD,
    RD_REG,
    RDA,
    REFAB,
    REFPB,
    SET_ODD,
    TIMED_COMMANDS,
    WR,
    WR_AB,
    WR_REG,
    WRA,
)
from archsim.memory.constraints import build_constraints
from archsim.memory.kernel import APPLY_ALL, APPLY_BUS_ONLY, _in_set
from archsim.pim.cadence import pim_mac_cycles

NEG = np.int64(-(1 << 60))
MAX_VIOLATIONS = 200
# Violation codes below zero (a code >= 0 is the index of the violated pairwise constraint).
(
    V_FAW,
    V_BUS,
    V_TIME,
    V_ACT_OPEN,
    V_PRE_CLOSED,
    V_COL_CLOSED,
    V_COL_ROW,
    V_REFAB_OPEN,
    V_REFPB_OPEN,
    V_REF_GAP,
    V_NODE,
    V_PIM_RATE,
) = range(-1, -13, -1)
# JEDEC lets a controller postpone up to eight refreshes, so gaps up to 9 x tREFI are legal.
REFRESH_SLACK = 9


@njit(cache=True, _nrt=False)
def _check_pairs(
    i,
    base,
    mode,
    t,
    c,
    r,
    bg,
    b,
    R,
    BG,
    BPG,
    prev_of,
    level_of,
    sib_of,
    lat_of,
    start_of,
    lc_ch,
    lc_rk,
    lc_rk_bus,
    lc_bg,
    lc_bk,
    st,
    viol,
):
    """Check the pairwise constraints on ``base`` at one node set (bg/b may be -1: not touched).

    ``mode`` mirrors the kernel: all constraints, none on the data bus (in-bank PIM access),
    only the bank's own (an in-bank PIM access), or only the data bus and rank ones (a PIM
    register access).
    """
    rk = c * R + r
    for k in range(start_of[base], start_of[base + 1]):
        prev, level, lat = prev_of[k], level_of[k], lat_of[k]
        if mode == APPLY_BUS_ONLY and level > 1:
            continue
        if level == 0:
            last = lc_ch[c, prev]
        elif level == 1:
            if sib_of[k] == 0:
                last = lc_rk[rk, prev]
            else:
                last = NEG
                for r2 in range(R):
                    if r2 != r:
                        last = max(last, lc_rk_bus[c * R + r2, prev])
        elif level == 2:
            last = lc_bg[rk * BG + bg, prev] if bg >= 0 else NEG
        else:
            last = NEG
            if b >= 0:
                for g2 in range(BG):
                    if bg < 0 or g2 == bg:
                        last = max(last, lc_bk[(rk * BG + g2) * BPG + b, prev])
        if t - last < lat:
            _flag(viol, st, i, k, last, 0)


@njit(cache=True, _nrt=False)
def _record(base, t, c, rk, bg, b, bus, BG, BPG, lc_ch, lc_rk, lc_rk_bus, lc_bg, lc_bk):
    """Remember a command at every node it touched (``bus``: it used the data bus)."""
    if bus:
        lc_ch[c, base] = t
        lc_rk_bus[rk, base] = t
    lc_rk[rk, base] = t
    if bg >= 0:
        lc_bg[rk * BG + bg, base] = t
    if b >= 0:
        for g2 in range(BG):
            if bg < 0 or g2 == bg:
                lc_bk[(rk * BG + g2) * BPG + b, base] = t


@njit(cache=True, _nrt=False)
def _check_block(
    rows,
    dims,
    prev_of,
    level_of,
    sib_of,
    lat_of,
    start_of,
    st,
    lc_ch,
    lc_rk,
    lc_rk_bus,
    lc_bg,
    lc_bk,
    open_row,
    faw,
    viol,
):
    """Check rows [n, 8] in order; st = [n_viol, last_t, ...]; returns nothing, fills ``viol``."""
    C, R, BG, BPG, nFAW, dual = dims[0], dims[1], dims[2], dims[3], dims[4], dims[5]
    nREFI, nREFIpb, pim_interval = dims[7], dims[8], dims[9]
    PC = dims[10]  # pseudo-channels share their channel's command buses (JESD235)
    nb = BG * BPG
    for i in range(rows.shape[0]):
        t, cmd, c, r, bg, b, row = (
            rows[i, 0],
            rows[i, 1],
            rows[i, 2],
            rows[i, 3],
            rows[i, 4],
            rows[i, 5],
            rows[i, 6],
        )
        pim = cmd >= ACT_AB
        bad = c < 0 or c >= C or r < 0 or r >= R or bg >= BG or cmd < 0 or cmd > RD_REG
        if pim:
            bad = bad or b >= nb or b < SET_ODD or bg != -1
        else:
            bad = bad or b >= BPG
            if cmd != REFAB and cmd != REFPB:
                bad = bad or bg < 0 or b < 0 or row < 0
            elif cmd == REFPB:
                bad = bad or b < 0
        if bad:
            _flag(viol, st, i, V_NODE, 0, 0)
            continue
        rk = c * R + r
        # Time order and the command bus (one command per bus per cycle).
        if t < st[1]:
            _flag(viol, st, i, V_TIME, st[1], 0)
        st[1] = t
        is_row = (
            cmd == ACT
            or cmd == PRE
            or cmd == REFAB
            or cmd == REFPB
            or cmd == ACT_AB
            or cmd == PRE_AB
        )
        bus = 0 if (dual == 0 or is_row) else 1
        cb = (c // PC) * PC  # the first pseudo-channel of c's channel holds the bus state
        if st[2 + 2 * cb + bus] == t:
            _flag(viol, st, i, V_BUS, t, 0)
        st[2 + 2 * cb + bus] = t
        if pim:
            code = b
            if cmd == ACT_AB:
                base, mode = ACT, APPLY_ALL
            elif cmd == PRE_AB:
                base, mode = PRE, APPLY_ALL
            elif cmd == MAC_AB:
                base, mode = MAC_AB, APPLY_ALL
            elif cmd == WR_AB:
                base, mode = WR_AB, APPLY_ALL
            elif cmd == WR_REG:
                base, mode = WR, APPLY_BUS_ONLY
            else:
                base, mode = RD, APPLY_BUS_ONLY
            if cmd == WR_REG or cmd == RD_REG:
                _check_pairs(
                    i,
                    base,
                    mode,
                    t,
                    c,
                    r,
                    -1,
                    -1,
                    R,
                    BG,
                    BPG,
                    prev_of,
                    level_of,
                    sib_of,
                    lat_of,
                    start_of,
                    lc_ch,
                    lc_rk,
                    lc_rk_bus,
                    lc_bg,
                    lc_bk,
                    st,
                    viol,
                )
                _record(
                    base, t, c, rk, -1, -1, True, BG, BPG, lc_ch, lc_rk, lc_rk_bus, lc_bg, lc_bk
                )
                continue
            if cmd == MAC_AB or cmd == WR_AB:
                slot = 2 + 2 * C + 2 * C * R + c
                if t - st[slot] < pim_interval:
                    _flag(viol, st, i, V_PIM_RATE, st[slot], pim_interval)
                st[slot] = t
            for lb in range(nb):
                if not _in_set(code, lb):
                    continue
                gb = rk * nb + lb
                if cmd == PRE_AB and open_row[gb] < 0:
                    continue
                _check_pairs(
                    i,
                    base,
                    mode,
                    t,
                    c,
                    r,
                    lb // BPG,
                    lb % BPG,
                    R,
                    BG,
                    BPG,
                    prev_of,
                    level_of,
                    sib_of,
                    lat_of,
                    start_of,
                    lc_ch,
                    lc_rk,
                    lc_rk_bus,
                    lc_bg,
                    lc_bk,
                    st,
                    viol,
                )
                if cmd == ACT_AB:
                    if open_row[gb] >= 0:
                        _flag(viol, st, i, V_ACT_OPEN, open_row[gb], 0)
                    open_row[gb] = row
                elif cmd == PRE_AB:
                    open_row[gb] = -1
                elif open_row[gb] < 0:
                    _flag(viol, st, i, V_COL_CLOSED, 0, 0)
                elif open_row[gb] != row:
                    _flag(viol, st, i, V_COL_ROW, open_row[gb], 0)
            for lb in range(nb):
                if _in_set(code, lb):
                    _record(
                        base,
                        t,
                        c,
                        rk,
                        lb // BPG,
                        lb % BPG,
                        False,  # no data on the bus
                        BG,
                        BPG,
                        lc_ch,
                        lc_rk,
                        lc_rk_bus,
                        lc_bg,
                        lc_bk,
                    )
            if cmd == ACT_AB:
                n_act = st[2 + 2 * C + rk]
                if n_act >= 4 and t - faw[rk, n_act % 4] < nFAW:
                    _flag(viol, st, i, V_FAW, faw[rk, n_act % 4], 0)
                faw[rk, n_act % 4] = t
                st[2 + 2 * C + rk] = n_act + 1
            continue
        # Pairwise constraints, looking back at the last command of each kind.
        _check_pairs(
            i,
            cmd,
            APPLY_ALL,
            t,
            c,
            r,
            bg,
            b,
            R,
            BG,
            BPG,
            prev_of,
            level_of,
            sib_of,
            lat_of,
            start_of,
            lc_ch,
            lc_rk,
            lc_rk_bus,
            lc_bg,
            lc_bk,
            st,
            viol,
        )
        # Bank state machine.
        if cmd == ACT:
            gb = (rk * BG + bg) * BPG + b
            if open_row[gb] >= 0:
                _flag(viol, st, i, V_ACT_OPEN, open_row[gb], 0)
            open_row[gb] = row
            n_act = st[2 + 2 * C + rk]
            if n_act >= 4 and t - faw[rk, n_act % 4] < nFAW:
                _flag(viol, st, i, V_FAW, faw[rk, n_act % 4], 0)
            faw[rk, n_act % 4] = t
            st[2 + 2 * C + rk] = n_act + 1
        elif cmd == PRE:
            gb = (rk * BG + bg) * BPG + b
            if open_row[gb] < 0:
                _flag(viol, st, i, V_PRE_CLOSED, 0, 0)
            open_row[gb] = -1
        elif cmd == RD or cmd == WR or cmd == RDA or cmd == WRA:
            gb = (rk * BG + bg) * BPG + b
            if open_row[gb] < 0:
                _flag(viol, st, i, V_COL_CLOSED, 0, 0)
            elif open_row[gb] != row:
                _flag(viol, st, i, V_COL_ROW, open_row[gb], 0)
            if cmd == RDA or cmd == WRA:
                open_row[gb] = -1
        elif cmd == REFAB:
            for gb in range(rk * nb, (rk + 1) * nb):
                if open_row[gb] >= 0:
                    _flag(viol, st, i, V_REFAB_OPEN, gb - rk * nb, 0)
                    break
        else:
            for g2 in range(BG):
                if bg < 0 or g2 == bg:
                    gb = (rk * BG + g2) * BPG + b
                    if open_row[gb] >= 0:
                        _flag(viol, st, i, V_REFPB_OPEN, g2, 0)
        # Refresh intervals.
        if cmd == REFAB or cmd == REFPB:
            slot = 2 + 2 * C + C * R + rk
            interval = nREFI if cmd == REFAB else nREFIpb
            if t - st[slot] > REFRESH_SLACK * interval:
                _flag(viol, st, i, V_REF_GAP, st[slot], interval)
            st[slot] = t
        _record(
            cmd,
            t,
            c,
            rk,
            bg,
            b,
            cmd == RD or cmd == WR or cmd == RDA or cmd == WRA,
            BG,
            BPG,
            lc_ch,
            lc_rk,
            lc_rk_bus,
            lc_bg,
            lc_bk,
        )


@njit(cache=True, _nrt=False)
def _flag(viol, st, i, code, a, b):
    n = st[0]
    if n < viol.shape[0]:
        viol[n, 0] = i
        viol[n, 1] = code
        viol[n, 2] = a
        viol[n, 3] = b
    st[0] = n + 1


@dataclass
class CheckResult:
    system: str
    commands: int
    constraints: int
    violations: list[str] = field(default_factory=list)


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
    org, n = mem.organization, mem.cycles
    if "standard" in header and header["standard"] != mem.standard:
        raise ArchsimError(
            f"{path}: log is from a {header['standard']} system but {cfg.name} is {mem.standard}"
        )
    table = build_constraints(n)
    by_next = sorted(range(len(table)), key=lambda k: table[k].next)
    ordered = [table[k] for k in by_next]
    start = np.zeros(TIMED_COMMANDS + 1, dtype=np.int64)
    for con in ordered:
        start[con.next + 1] += 1
    start = np.cumsum(start)
    prev_of = np.array([c.prev for c in ordered], dtype=np.int64)
    level_of = np.array([c.level for c in ordered], dtype=np.int64)
    sib_of = np.array([int(c.sibling) for c in ordered], dtype=np.int64)
    lat_of = np.array([c.cycles for c in ordered], dtype=np.int64)
    C, R, BG, BPG = org.bus_channels, org.ranks, org.bank_groups, org.banks_per_group
    refmode = {"none": 0, "all-bank": 1, "per-bank": 2}[mem.controller.refresh]
    dims = np.array(
        [
            C,
            R,
            BG,
            BPG,
            n.nFAW,
            int(org.dual_command_bus),
            refmode,
            n.nREFI,
            n.nREFIpb,
            pim_mac_cycles(cfg),
            org.pseudo_channels,
        ],
        dtype=np.int64,
    )
    NR, NBG, NB = C * R, C * R * BG, C * R * BG * BPG
    st = np.zeros(2 + 2 * C + 2 * NR + C, dtype=np.int64)
    st[2 + 2 * C + 2 * NR :] = NEG
    st[1] = NEG
    st[2 : 2 + 2 * C] = NEG
    # Refresh gaps are measured from time 0: the first refresh is due one interval in.
    lc = [np.full((m, TIMED_COMMANDS), NEG, dtype=np.int64) for m in (C, NR, NR, NBG, NB)]
    open_row = np.full(NB, -1, dtype=np.int64)
    faw = np.full((NR, 4), NEG, dtype=np.int64)
    viol = np.zeros((MAX_VIOLATIONS, 4), dtype=np.int64)
    messages: list[str] = []
    total = 0
    last_t = 0
    try:
        for first_line, rows in read_blocks(path):
            before = int(st[0])
            _check_block(
                rows, dims, prev_of, level_of, sib_of, lat_of, start, st, *lc, open_row, faw, viol
            )
            for v in viol[before : min(int(st[0]), MAX_VIOLATIONS)]:
                messages.append(_describe(v, rows[v[0]], first_line, ordered, n.nFAW))
            total += len(rows)
            last_t = int(rows[-1, 0])
    except ValueError as exc:
        raise ArchsimError(f"{path}: {exc}") from None
    if refmode and total:
        interval = n.nREFI if refmode == 1 else n.nREFIpb
        last_ref = st[2 + 2 * C + NR : 2 + 2 * C + 2 * NR]
        for rk, when in enumerate(last_ref):
            if last_t - when > REFRESH_SLACK * interval:
                messages.append(
                    f"rank {rk % R} of channel {rk // R}: no refresh for {last_t - when} cycles at"
                    f" the end of the log (at most {REFRESH_SLACK} x {interval} allowed)"
                )
    return CheckResult(cfg.name, total, len(table), messages)


def _describe(v: np.ndarray, row: np.ndarray, first_line: int, table, nFAW: int) -> str:
    index, code, a, b = (int(x) for x in v)
    t, cmd = int(row[0]), COMMAND_NAMES[int(row[1])]
    where = f"ch{row[2]} rank{row[3]} bg{row[4]} bank{row[5]}"
    head = f"command #{first_line + index}: {cmd} at cycle {t} ({where})"
    if code >= 0:
        con = table[code]
        return (
            f"{head} violates {con.name}: {t - a} cycles after {COMMAND_NAMES[con.prev]} at cycle"
            f" {a}, needs {con.cycles}"
        )
    text = {
        V_FAW: f"is the fifth ACT within tFAW = {nFAW} cycles (the fourth before it was at {a})",
        V_BUS: "shares its command bus cycle with another command",
        V_TIME: f"goes back in time (previous command at cycle {a})",
        V_ACT_OPEN: f"activates a bank whose row {a} is still open",
        V_PRE_CLOSED: "precharges a bank that is already closed",
        V_COL_CLOSED: "accesses a closed bank",
        V_COL_ROW: f"accesses row {row[6]} while row {a} is open",
        V_REFAB_OPEN: f"refreshes the rank while bank {a} is open",
        V_REFPB_OPEN: f"refreshes a bank that is open (bank group {a})",
        V_REF_GAP: f"comes {t - a} cycles after the previous refresh"
        f" (at most {REFRESH_SLACK} x {b})",
        V_NODE: "names a channel, rank, bank or command the system does not have",
        V_PIM_RATE: f"follows the previous in-bank PIM command (cycle {a}) closer than {b} cycles",
    }[code]
    return f"{head} {text}"
