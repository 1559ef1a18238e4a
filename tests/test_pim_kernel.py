"""PIM programs on the DRAM kernel: all-bank commands, their timing, and the checker."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config.presets import load_system
from archsim.memory import kernel as K
from archsim.memory.checker import check_command_log
from archsim.memory.command_log import CommandLogWriter
from archsim.memory.commands import ACT_AB, MAC_AB, PRE_AB, SET_EVEN, SET_ODD, WR_REG
from archsim.memory.controller import DramTiming, RequestBatch


def gemv_like_program(rows: int = 2, cols: int = 32, broadcast: int = 8):
    cmds, sets, rws, cs = [], [], [], []
    for k in range(broadcast):
        cmds.append(WR_REG), sets.append(-1), rws.append(0), cs.append(k)
    for r in range(rows):
        for parity in (SET_EVEN, SET_ODD):
            cmds.append(ACT_AB), sets.append(parity), rws.append(100 + r), cs.append(0)
            for col in range(cols):
                cmds.append(MAC_AB), sets.append(parity), rws.append(100 + r), cs.append(col)
            cmds.append(PRE_AB), sets.append(parity), rws.append(100 + r), cs.append(0)
    return [np.array(x, dtype=np.int64) for x in (cmds, sets, rws, cs)]


def run_program(tmp_path, system="hbm2", host_requests=0, channel=0, **controller):
    cfg = load_system(system, {"memory": {"controller": controller}} if controller else None)
    log = tmp_path / "pim.log"
    writer = CommandLogWriter(log, cfg, system)
    done = []
    timing = DramTiming(cfg.memory, command_log=writer.write, completions=done.append)
    cmds, sets, rows, cols = gemv_like_program()
    n = len(cmds)
    batch = RequestBatch.pim_program(cmds, np.full(n, channel), sets, rows, cols)
    if host_requests:
        line = cfg.memory.organization.line_bytes
        address = np.arange(host_requests, dtype=np.uint64) * np.uint64(line)
        host = RequestBatch.from_addresses(
            timing.mapping,
            address,
            np.zeros(host_requests, bool),
            np.zeros(host_requests, np.int64),
            n,
        )
        batch = RequestBatch.concat(batch, host)
    timing.step(batch, final=True)
    writer.close()
    return cfg, timing, log, np.concatenate(done)


def test_program_respects_every_constraint_with_host_traffic(tmp_path):
    cfg, _, log, done = run_program(tmp_path, host_requests=3000)
    assert check_command_log(log, cfg).violations == []
    assert sorted(done[:, 0].tolist()) == list(range(len(done)))


def test_macs_issue_at_tccd_l_after_trcd(tmp_path):
    cfg, timing, log, _ = run_program(tmp_path)
    n = cfg.memory.cycles
    rows = [line.split() for line in log.read_text().splitlines() if not line.startswith("#")]
    act = [int(r[0]) for r in rows if r[1] == "ACTab"]
    mac = [int(r[0]) for r in rows if r[1] == "MACab"]
    assert mac[0] - act[0] == n.nRCD
    gaps = np.diff(mac[:32])
    assert (gaps == max(n.nCCD_L, 1)).all()
    cnt = timing.counters[0]
    banks = cfg.memory.organization.banks // 2
    assert cnt[K.CNT_PIM_MAC_BANKS] == 2 * 2 * 32 * banks
    assert cnt[K.CNT_PIM_ACT_BANKS] == 2 * 2 * banks


def test_host_requests_wait_for_the_program_on_their_channel(tmp_path):
    _, _, log, _ = run_program(tmp_path, host_requests=64)
    rows = [line.split() for line in log.read_text().splitlines() if not line.startswith("#")]
    last_pim = max(int(r[0]) for r in rows if r[1].endswith(("ab", "reg")) and r[2] == "0")
    host_ch0 = [int(r[0]) for r in rows if r[1] == "RD" and r[2] == "0"]
    assert host_ch0 and min(host_ch0) > last_pim


@pytest.mark.parametrize("system", ["hbm2", "gddr6-16g"])
def test_refresh_in_the_middle_of_a_program_reopens_rows(tmp_path, system):
    cfg = load_system(system)
    log = tmp_path / "long.log"
    writer = CommandLogWriter(log, cfg, system)
    timing = DramTiming(cfg.memory, command_log=writer.write)
    cmds, sets, rows, cols = gemv_like_program(rows=40)
    n = len(cmds)
    timing.step(RequestBatch.pim_program(cmds, np.zeros(n), sets, rows, cols), final=True)
    writer.close()
    assert timing.counters[0, K.CNT_REFAB] > 0
    assert check_command_log(log, cfg).violations == []
