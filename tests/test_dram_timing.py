"""DRAM timing against closed forms (the validation studies) and controller invariants."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.config.presets import load_system
from archsim.memory.controller import DramTiming, RequestBatch
from archsim.memory.validation import (
    column_low_study,
    lone_read_studies,
    random_study,
    refresh_study,
    run_addresses,
    stream_study,
)
from tests.conftest import SYSTEMS, addresses


@pytest.mark.parametrize("name", SYSTEMS)
def test_lone_read_latency_is_exact(name):
    for study in lone_read_studies(load_system(name)):
        assert study.model == study.reference, study


@pytest.mark.parametrize("name", SYSTEMS)
def test_stream_reaches_90_percent_of_peak_net_of_refresh(name):
    study = stream_study(load_system(name), 60_000)
    assert study.ok, study


@pytest.mark.parametrize("name", SYSTEMS)
def test_one_bank_group_stream_is_paced_by_tccd_l(name):
    study = column_low_study(load_system(name), 30_000)
    assert abs(study.error) <= 0.02, study


@pytest.mark.parametrize("name", SYSTEMS)
def test_random_reads_match_bank_parallelism_bound(name):
    cfg = load_system(name)
    # Enough requests per channel that the drain at the end does not dominate.
    study = random_study(cfg, max(40_000, 3000 * cfg.memory.organization.bus_channels))
    if study.finding:  # HBM pseudo-channels on a shared command bus (docs/validation.md)
        assert -0.25 <= study.error < 0, study
    else:
        assert abs(study.error) <= 0.10, study


@pytest.mark.parametrize("name", ["ddr4-3200", "gddr6-16g", "lpddr5-6400"])
def test_refresh_overhead(name):
    study = refresh_study(load_system(name), 12)
    assert study.ok, study


def _run_in_batches(cfg, address, is_write, arrival, batch):
    done = []
    timing = DramTiming(cfg.memory, completions=done.append)
    full = RequestBatch.from_addresses(timing.mapping, address, is_write, arrival)
    for lo in range(0, len(address), batch):
        timing.step(full.take(np.arange(lo, min(lo + batch, len(address)))))
    timing.step(RequestBatch.empty(), final=True)
    return timing, np.concatenate(done)


@pytest.mark.parametrize("name", ["ddr4-3200", "hbm2"])
def test_batch_size_never_changes_the_result(name):
    cfg = load_system(name)
    n = 6000
    address = addresses(cfg, "random", n, seed=5)
    rng = np.random.default_rng(6)
    is_write = rng.random(n) < 0.3
    arrival = np.cumsum(rng.integers(0, 3, n)).astype(np.int64)
    results = [_run_in_batches(cfg, address, is_write, arrival, b) for b in (n, 997, 64)]
    base_timing, base_done = results[0]
    for timing, done in results[1:]:
        np.testing.assert_array_equal(timing.counters, base_timing.counters)
        np.testing.assert_array_equal(np.sort(done, axis=0), np.sort(base_done, axis=0))


def test_every_request_completes_once_and_counts_are_conserved(system):
    n = 3000
    rng = np.random.default_rng(1)
    is_write = rng.random(n) < 0.4
    done = []
    timing = DramTiming(system.memory, completions=done.append)
    batch = RequestBatch.from_addresses(
        timing.mapping, addresses(system, "random", n, 2), is_write, np.zeros(n, np.int64)
    )
    timing.step(batch, final=True)
    done = np.concatenate(done)
    assert sorted(done[:, 0].tolist()) == list(range(n))
    assert timing.counters[:, 0].sum() == (~is_write).sum()
    assert timing.counters[:, 1].sum() == is_write.sum()


def test_fcfs_is_never_faster_than_frfcfs():
    cfg = load_system("ddr4-3200")
    address = addresses(cfg, "random", 4000, 3)
    fr = run_addresses(cfg, address)
    overrides = {"memory": {"controller": {"scheduler": "fcfs"}}}
    fc = run_addresses(load_system("ddr4-3200", overrides), address)
    assert fc.end_cycle > fr.end_cycle


def test_closed_page_auto_precharges():
    cfg = load_system("ddr4-3200", {"memory": {"controller": {"row_policy": "closed"}}})
    timing = run_addresses(cfg, addresses(cfg, "random", 2000, 4))
    from archsim.memory import kernel as K

    cnt = timing.counters[0]
    assert cnt[K.CNT_RDA] > 1900 and cnt[K.CNT_PRE] < 100


def test_per_bank_refresh_runs_where_the_standard_has_it():
    from archsim.memory import kernel as K

    cfg = load_system("hbm2", {"memory": {"controller": {"refresh": "per-bank"}}})
    timing = run_addresses(cfg, addresses(cfg, "stream", 100_000))
    cnt = timing.counters
    assert cnt[:, K.CNT_REFPB].sum() > 0 and cnt[:, K.CNT_REFAB].sum() == 0


def test_in_order_front_end_stalls_other_channels():
    cfg = load_system("hbm2")
    address = addresses(cfg, "random", 20_000, 9)
    windowed = run_addresses(cfg, address)
    strict = run_addresses(
        load_system("hbm2", {"memory": {"controller": {"frontend_window": 1}}}), address
    )
    assert strict.end_cycle > windowed.end_cycle


@pytest.mark.slow
def test_full_length_validation_studies_all_pass():
    from archsim.memory.validation import dram_studies

    failed = [s for s in dram_studies() if not s.ok and not s.finding]
    assert failed == []


def test_replay_is_deterministic_and_conserves_bytes():
    from archsim.system.replay import replay
    from archsim.workload.samples import resolve_trace

    first = replay("hbm2", resolve_trace("random"))
    second = replay("hbm2", resolve_trace("random"))
    assert first.report.model_dump() == second.report.model_dump()
    moved = first.stats.sum("system.memory.ch", ".bytes")
    assert moved == first.report.requests * 32
    assert first.report.bandwidth_gbps == pytest.approx(moved / first.report.time_ns)


@pytest.mark.parametrize("name", ["ddr4-3200", "lpddr5-6400", "hbm2"])
@pytest.mark.parametrize("write_share", [0.0, 0.3])
def test_fast_forward_agrees_with_full_simulation(name, write_share):
    from archsim.memory.fastforward import sample_requests, stream_timing

    cfg = load_system(name).memory
    n = 3 * sample_requests(cfg) + 12_345
    fast = stream_timing(cfg, n, write_share)
    full = stream_timing(cfg, n, write_share, fidelity="full")
    assert fast.fast_forwarded and not full.fast_forwarded
    assert fast.cycles == pytest.approx(full.cycles, rel=0.01)
    for key in ("reads", "writes", "activations"):
        assert fast.counts[key] == pytest.approx(full.counts[key], rel=0.01, abs=50)


def test_dram_studies_cover_every_memory_standard_and_no_full_system():
    from archsim.memory.validation import memory_standard_presets

    standards = set(memory_standard_presets())
    assert {"ddr4-3200", "ddr5-4800", "lpddr5-6400", "gddr6-16g", "hbm2", "hbm3"} <= standards
    assert not standards & {"hbm2-pim", "hbm3-pim", "ddr4-axdimm", "gddr6-aim"}
