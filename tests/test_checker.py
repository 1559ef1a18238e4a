"""The command log and its independent checker."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config.presets import load_system
from archsim.memory.checker import check_command_log
from archsim.memory.command_log import CommandLogWriter
from archsim.memory.controller import DramTiming, RequestBatch
from tests.conftest import SYSTEMS, addresses


def write_log(tmp_path, cfg, name, address, is_write=None):
    path = tmp_path / f"{name}.log"
    writer = CommandLogWriter(path, cfg, name)
    timing = DramTiming(cfg.memory, command_log=writer.write, buffer_rows=4096)
    n = len(address)
    batch = RequestBatch.from_addresses(
        timing.mapping,
        address,
        np.zeros(n, np.bool_) if is_write is None else is_write,
        np.zeros(n, np.int64),
    )
    timing.step(batch, final=True)
    writer.close()
    return path


def _cases():
    for name in SYSTEMS:
        controllers = [{}, {"row_policy": "closed"}, {"scheduler": "fcfs"}]
        if load_system(name).memory.organization.per_bank_refresh != "none":
            controllers.append({"refresh": "per-bank"})
        for controller in controllers:
            yield name, controller


@pytest.mark.parametrize(("name", "controller"), list(_cases()))
def test_simulated_logs_pass_the_checker(tmp_path, name, controller):
    cfg = load_system(name, {"memory": {"controller": controller}})
    rng = np.random.default_rng(0)
    n = 20_000
    address = np.where(
        rng.random(n) < 0.5, addresses(cfg, "random", n, 1), addresses(cfg, "stream", n)
    )
    path = write_log(tmp_path, cfg, name, address.astype(np.uint64), rng.random(n) < 0.3)
    result = check_command_log(path, cfg)
    assert result.violations == []
    assert result.commands > n


def _tamper(path, edit):
    lines = path.read_text().splitlines()
    body = [i for i, line in enumerate(lines) if not line.startswith("#")]
    edit(lines, body)
    path.write_text("\n".join(lines) + "\n")


def test_a_read_moved_too_early_violates_trcd(tmp_path):
    cfg = load_system("ddr4-3200")
    path = write_log(tmp_path, cfg, "ddr4-3200", np.array([0], dtype=np.uint64))

    def edit(lines, body):
        act, rd = lines[body[0]].split(), lines[body[1]].split()
        assert act[1] == "ACT" and rd[1] == "RD"
        rd[0] = str(int(act[0]) + 5)
        lines[body[1]] = " ".join(rd)

    _tamper(path, edit)
    violations = check_command_log(path).violations
    assert any("violates tRCD" in v and "needs 22" in v for v in violations)


def test_five_activates_in_a_faw_window_are_caught(tmp_path):
    cfg = load_system("ddr4-3200", {"memory": {"controller": {"refresh": "none"}}})
    path = tmp_path / "faw.log"
    header = "# archsim command log v1\n# system: ddr4-3200\n# standard: DDR4\n"
    acts = [f"{4 * i + 100} ACT 0 0 {i % 4} {i // 4} 1 0" for i in range(5)]
    path.write_text(header + "\n".join(acts) + "\n")
    violations = check_command_log(path, cfg).violations
    assert len(violations) == 1 and "fifth ACT within tFAW" in violations[0]


def test_a_read_to_a_closed_bank_is_caught(tmp_path):
    cfg = load_system("ddr4-3200", {"memory": {"controller": {"refresh": "none"}}})
    path = tmp_path / "closed.log"
    path.write_text("# archsim command log v1\n# system: ddr4-3200\n100 RD 0 0 0 0 0 0\n")
    assert "accesses a closed bank" in check_command_log(path, cfg).violations[0]


def test_missing_refresh_is_caught(tmp_path):
    cfg = load_system("ddr4-3200")
    path = tmp_path / "noref.log"
    lines = ["# archsim command log v1", "# system: ddr4-3200"]
    for k in range(12):
        t = 20_000 * k
        lines += [f"{t} ACT 0 0 0 0 5 0", f"{t + 22} RD 0 0 0 0 5 0", f"{t + 60} PRE 0 0 0 0 5 0"]
    path.write_text("\n".join(lines) + "\n")
    assert any("no refresh" in v for v in check_command_log(path, cfg).violations)


def test_not_a_log(tmp_path):
    from archsim.errors import ArchsimError

    path = tmp_path / "x.log"
    path.write_text("hello\n")
    with pytest.raises(ArchsimError, match="not an archsim command log"):
        check_command_log(path, "ddr4-3200")


PIM_HEADER = "# archsim command log v1\n# system: hbm2-pim\n# standard: HBM2\n"


def _pim_log(tmp_path, lines):
    cfg = load_system("hbm2-pim", {"memory": {"controller": {"refresh": "none"}}})
    path = tmp_path / "pim.log"
    path.write_text(PIM_HEADER + "\n".join(lines) + "\n")
    return check_command_log(path, cfg).violations


@pytest.mark.parametrize("gap", [6, 12, 13])
def test_a_register_write_inside_trtw_of_an_in_bank_read_is_caught(tmp_path, gap):
    """MACab is HBM-PIM's RD trigger: a WRreg within tRTW (13 cycles on HBM2) of it turns the
    bus around too early (the merged-log finding of the system-engine issue)."""
    violations = _pim_log(
        tmp_path,
        ["100 ACTab 0 0 -1 -1 7 0", "120 MACab 0 0 -1 -1 7 0", f"{120 + gap} WRreg 0 0 -1 -1 0 0"],
    )
    if gap < 13:
        assert len(violations) == 1 and "WRreg" in violations[0]
        assert f"violates tRTW: {gap} cycles after MACab at cycle 120, needs 13" in violations[0]
    else:
        assert violations == []


def test_a_register_write_inside_trtw_of_a_host_read_is_caught(tmp_path):
    violations = _pim_log(
        tmp_path,
        ["100 ACT 0 0 0 0 7 0", "120 RD 0 0 0 0 7 0", "126 WRreg 0 0 -1 -1 0 0"],
    )
    assert len(violations) == 1
    assert "WRreg at cycle 126" in violations[0] and "violates tRTW" in violations[0]


def test_an_in_bank_read_inside_twtr_of_an_in_bank_write_is_caught(tmp_path):
    # WRab -> MACab on the same banks: tCWL + tBL + tWTR_L = 5 + 2 + 8 = 15 cycles on HBM2.
    ok = ["100 ACTab 0 0 -1 -1 7 0", "120 WRab 0 0 -1 -1 7 0"]
    assert _pim_log(tmp_path, [*ok, "135 MACab 0 0 -1 -1 7 0"]) == []
    violations = _pim_log(tmp_path, [*ok, "134 MACab 0 0 -1 -1 7 0"])
    assert violations and all("tWTR_L" in v for v in violations)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["100 ACT 0 0 0 0 5 0", "100 ACT 0 0 1 1 5 0"], "shares its command bus cycle"),
        (["100 ACT 0 0 0 0 5 0", "200 ACT 0 0 0 0 6 0"], "whose row 5 is still open"),
        (["100 ACT 0 0 0 0 5 0", "140 RD 0 0 0 0 6 0"], "accesses row 6 while row 5 is open"),
        (["100 ACT 0 0 0 0 5 0", "90 ACT 0 0 1 0 5 0"], "goes back in time"),
        (["100 PRE 0 0 0 0 5 0"], "precharges a bank that is already closed"),
        (["100 ACT 0 0 0 0 5 0", "400 REFab 0 0 -1 -1 -1 -1"], "refreshes the rank while bank 0"),
        (["100 ACT 0 7 0 0 5 0"], "names a channel, rank, bank or command"),
    ],
)
def test_each_non_pairwise_rule_is_caught(tmp_path, lines, message):
    cfg = load_system("ddr4-3200", {"memory": {"controller": {"refresh": "none"}}})
    path = tmp_path / "bad.log"
    path.write_text("# archsim command log v1\n# system: ddr4-3200\n" + "\n".join(lines) + "\n")
    violations = check_command_log(path, cfg).violations
    assert any(message in v for v in violations), violations


def test_in_bank_commands_faster_than_the_units_are_caught(tmp_path):
    # hbm2-pim's units take an in-bank command every tCCD_L = 4 cycles.
    lines = ["100 ACTab 0 0 -1 -1 7 0", "120 MACab 0 0 -1 -1 7 0"]
    assert _pim_log(tmp_path, [*lines, "124 MACab 0 0 -1 -1 7 1"]) == []
    violations = _pim_log(tmp_path, [*lines, "123 MACab 0 0 -1 -1 7 1"])
    assert len(violations) == 1 and "closer than 4 cycles" in violations[0]


def test_blocks_of_any_size_give_the_same_verdict(tmp_path, monkeypatch):
    """State carries across the blocks a long log is read in: bank rows, last commands, tFAW,
    buses and refresh; a log cut into small blocks is judged as in one piece."""
    import archsim.memory.checker as checker
    from archsim.memory.command_log import read_blocks

    cfg = load_system("hbm2")
    rng = np.random.default_rng(4)
    n = 300
    address = addresses(cfg, "random", n, 5)
    path = write_log(tmp_path, cfg, "hbm2", address.astype(np.uint64), rng.random(n) < 0.3)

    def edit(lines, body):  # pull a few commands earlier: violations of several kinds
        for k in body[40::150]:
            parts = lines[k].split()
            parts[0] = str(int(parts[0]) - 3)
            lines[k] = " ".join(parts)

    _tamper(path, edit)
    whole = check_command_log(path, cfg).violations
    assert whole
    for size in (1, 37):
        monkeypatch.setattr(checker, "read_blocks", lambda p, s=size: read_blocks(p, s))
        assert check_command_log(path, cfg).violations == whole, size
