"""Fidelity fixes of issue 12: address mapping, replay overrides, idle gaps, fast-forward."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config.presets import list_presets, load_system
from archsim.memory.mapping import AddressMapping
from tests.test_cli import archsim

ALL_PRESETS = list_presets("systems")


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


@pytest.mark.slow  # over 3 s: run by CI's slow stage
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


def _gap_trace(path, gap_ps: int, lines: int = 2) -> None:
    rows = ["# archsim memory trace v1"]
    for k in range(lines):
        rows.append(f"{0 if k < lines // 2 else gap_ps} {'R' if k % 3 else 'W'} {k * 4160:#x}")
    path.write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("name", ["ddr4-3200", "ddr5-4800", "hbm2", "lpddr5-6400"])
def test_idle_gap_skipped_in_closed_form_matches_stepping(tmp_path, name):
    from archsim.memory import kernel as K
    from archsim.system.replay import replay

    trace = tmp_path / "gap.trace"
    # 3 ms: ~400 all-bank refresh periods, short enough to step as well.
    _gap_trace(trace, 3_000_000_000, lines=8)
    cfg = load_system(name)
    fast = replay(cfg, trace).timing
    stepped = replay(cfg, trace, command_log=lambda rows: None).timing  # a log disables skipping
    assert fast.end_cycle == stepped.end_cycle
    assert np.array_equal(fast.counters, stepped.counters)
    assert fast.counters[:, K.CNT_REFAB].sum() + fast.counters[:, K.CNT_REFPB].sum() > 20
    assert np.array_equal(*(t.rank_time_split(t.end_cycle)[1] for t in (fast, stepped)))
    assert fast._g[K.G_ITERS] < stepped._g[K.G_ITERS] / 10


def test_two_line_trace_with_huge_gap_finishes_at_once(tmp_path):
    import time

    from archsim.system.replay import replay

    trace = tmp_path / "huge.trace"
    trace.write_text("# archsim memory trace v1\n0 R 0x0\n4611686018427387904 R 0x40\n")
    start = time.perf_counter()
    result = replay(load_system("ddr4-3200"), trace)
    assert time.perf_counter() - start < 5
    n = load_system("ddr4-3200").memory.cycles
    tck = load_system("ddr4-3200").memory.organization.tck_ps
    # Refreshes counted for the whole gap: one per tREFI per rank.
    expected = (2**62 / tck) / n.nREFI * load_system("ddr4-3200").memory.organization.ranks
    assert result.report.commands["REFab"] == pytest.approx(expected, rel=1e-6)
    assert result.report.cycles >= 2**62 / tck


CHANNEL_HIGH = "channel:row:rank:bank:column:bankgroup"
MAPPINGS = ["bg-interleaved", "row-bank-rank-column-channel", CHANNEL_HIGH]


@pytest.mark.parametrize("name", ALL_PRESETS)
def test_every_shipped_preset_takes_the_fast_path(name):
    from archsim.memory.fastforward import fast_path_problem, stream_timing

    mem = load_system(name).memory
    assert fast_path_problem(mem) is None
    if mem.organization.bus_channels > 1:
        assert stream_timing(mem, 1000 * mem.organization.bus_channels).fast_forwarded


def _property_case(name, mapping, window, share):
    from archsim.memory.fastforward import sample_requests, stream_timing

    over = {"memory": {"controller": {"address_mapping": mapping}}}
    cfg = load_system(name, over).memory
    channels = cfg.organization.bus_channels
    w = {"one": 1, "channels": channels, "4x": 4 * channels, "default": 4096}[window]
    cfg = cfg.model_copy(
        update={"controller": cfg.controller.model_copy(update={"frontend_window": w})}
    )
    # 2.5 samples per channel: past the extrapolation point of the fast path.
    n = int(2.5 * sample_requests(cfg))
    fast = stream_timing(cfg, n, share)
    full = stream_timing(cfg, n, share, fidelity="full")
    if fast.fast_forwarded:
        assert fast.cycles == pytest.approx(full.cycles, rel=0.01)
        for key in ("reads", "writes", "activations"):
            assert fast.counts[key] == pytest.approx(full.counts[key], rel=0.01)
    else:
        assert fast.fallback and fast.cycles == full.cycles


@pytest.mark.parametrize("mapping", MAPPINGS)
@pytest.mark.parametrize("window", ["one", "channels", "4x", "default"])
def test_fast_forward_within_one_percent_or_falls_back(mapping, window):
    _property_case("ddr5-npu", mapping, window, 0.25)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hbm2", "lpddr5-pim", "ddr4-axdimm", "gddr6-aim"])
@pytest.mark.parametrize("mapping", MAPPINGS)
@pytest.mark.parametrize("window", ["one", "channels", "4x", "default"])
@pytest.mark.parametrize("share", [0.0, 0.3])
def test_fast_forward_property_over_presets(name, mapping, window, share):
    _property_case(name, mapping, window, share)


def test_fast_forward_refuses_long_streams_it_cannot_shortcut():
    from archsim.errors import ArchsimError
    from archsim.memory.fastforward import FULL_LIMIT, stream_timing

    cfg = load_system("hbm2", {"memory": {"controller": {"address_mapping": CHANNEL_HIGH}}})
    with pytest.raises(ArchsimError, match="lowest bits"):
        stream_timing(cfg.memory, FULL_LIMIT + 1)


# Each timing moves a study of a command sequence it paces: tRCD and tRP the low-load read
# latency (PRE, ACT, RD per random read), tFAW random reads on one rank (four activations per
# tFAW), tCCD_L a column-low stream that stays in one bank group.
PERTURBED = {
    "tRCD": ["dramsim3 ddr4 1R random R low-load"],
    "tRP": ["dramsim3 ddr4 1R random R low-load"],
    "tFAW": ["dramsim3 ddr4 1R random R", "dramsim3 hbm2 random R"],
    "tCCD_L": ["dramsim3 hbm2 stream R"],
}


@pytest.mark.slow
@pytest.mark.parametrize("timing", list(PERTURBED))
def test_a_20_percent_timing_error_fails_an_external_study(timing):
    """The table can fail: 20% off in tRCD, tRP, tCCD_L or tFAW leaves a peer's tolerance."""
    from archsim.system.dram_peers import CASES, external_dram_studies

    names = PERTURBED[timing]
    base = external_dram_studies(names=names)
    assert base and all(s.ok for s in base), [(s.name, s.error) for s in base]
    case = next(c for c in CASES if c["name"] == names[0])
    cfg = load_system(case["system"], case["overrides"]).memory
    nck = getattr(cfg.cycles, "n" + timing[1:])
    tck_ps = cfg.organization.tck_ps
    moved = []
    for scale in (0.8, 1.2):
        # In picoseconds, so the preset's rounding to whole cycles applies (2 nCK + 20% is 3).
        value_ps = nck * tck_ps * scale
        extra = {"memory": {"timing": {timing: f"{value_ps:.0f}ps"}}}
        if timing == "tRP":  # tRC = tRAS + tRP must stay consistent
            extra["memory"]["timing"]["tRC"] = f"{cfg.cycles.nRAS * tck_ps + value_ps:.0f}ps"
        try:
            studies = external_dram_studies(extra, names)
        except Exception as exc:  # a perturbation the standard forbids (tCCD_L below the burst)
            assert "tCCD" in str(exc), exc
            continue
        moved += [(scale, s.name, s.error) for s in studies if not s.ok]
    assert moved, f"{timing} +-20% left every study within tolerance"


def test_pseudo_channels_share_their_channels_command_buses():
    """JESD235: the two pseudo-channels of an HBM2 channel share its row and column buses."""
    from archsim.memory.commands import ACT, PRE, REFAB, REFPB
    from archsim.memory.controller import DramTiming, RequestBatch
    from tests.conftest import addresses

    cfg = load_system("hbm2")
    rows = []
    timing = DramTiming(cfg.memory, command_log=rows.append)
    n = 20_000
    addr = addresses(cfg, "random", n, 3)
    timing.step(
        RequestBatch.from_addresses(
            timing.mapping, addr, np.zeros(n, np.bool_), np.zeros(n, np.int64)
        ),
        final=True,
    )
    log = np.concatenate(rows)
    row_cmd = np.isin(log[:, 1], [ACT, PRE, REFAB, REFPB])
    legacy = log[:, 2] // cfg.memory.organization.pseudo_channels
    for bus in (row_cmd, ~row_cmd):
        keys = log[bus, 0] * 1024 + legacy[bus]
        assert len(np.unique(keys)) == len(keys)  # one command per bus per cycle per channel
    # ...and both pseudo-channels do use the same cycles' buses in turn (not an idle sibling).
    assert len(np.unique(log[:, 2])) == cfg.memory.organization.bus_channels
