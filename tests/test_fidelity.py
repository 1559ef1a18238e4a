"""Fidelity fixes of issue 12: address mapping, replay overrides, idle gaps, fast-forward."""

from __future__ import annotations

import numpy as np

from archsim.config.presets import load_system
from archsim.memory.mapping import AddressMapping
from tests.test_cli import archsim


def test_robaracoch_follows_ramulator2_level_order():
    # Ramulator 2's RoBaRaCoCh slices, from LSB: channel, column, then rank, bank group, bank, row.
    cfg = load_system(
        "ddr4-3200", {"memory": {"controller": {"address_mapping": "row-bank-rank-column-channel"}}}
    ).memory
    m = AddressMapping.for_config(cfg)
    org = cfg.organization
    cols = org.columns // org.burst_length
    line = org.line_bytes
    lines = np.array([0, 1, cols, cols * org.ranks, cols * org.ranks * org.bank_groups])
    f = m.decode(lines.astype(np.uint64) * np.uint64(line * org.bus_channels))
    assert f["column"].tolist() == [0, 1, 0, 0, 0]
    assert f["rank"].tolist()[:3] == [0, 0, 1 % org.ranks]
    # One step past the ranks moves the bank group, not the bank; past the groups, the bank.
    assert f["bankgroup"].tolist()[3:] == [1, 0]
    assert f["bank"].tolist()[3:] == [0, 1]


def test_replay_set_overrides_and_check_log_rebuilds_them(tmp_path):
    trace = tmp_path / "s.trace"
    run = archsim("trace", "gen", "stream", "--requests", "4000", "-o", str(trace))
    assert run.returncode == 0, run.stderr
    cycles = {}
    for mapping in ("bg-interleaved", "row-bank-rank-column-channel"):
        log = tmp_path / f"{mapping}.log"
        run = archsim(
            "replay",
            "ddr4-3200",
            str(trace),
            "--set",
            f"memory.controller.address_mapping={mapping}",
            "--command-log",
            str(log),
            "--json",
            "-",
        )
        assert run.returncode == 0, run.stderr
        import json

        cycles[mapping] = json.loads(run.stdout)["cycles"]
        check = archsim("check-log", str(log))
        assert check.returncode == 0, check.stderr + check.stdout
    # Column-low keeps a stream in one bank group (tCCD_L); bank-group interleaving is faster.
    assert cycles["row-bank-rank-column-channel"] > 1.1 * cycles["bg-interleaved"]
    bad = archsim("replay", "ddr4-3200", str(trace), "--set", "memory.controller.queue_depth=x")
    assert bad.returncode == 2 and "queue_depth" in bad.stderr
