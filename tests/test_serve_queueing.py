"""Serving scheduler against queueing theory and bookkeeping identities (no simulator)."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.serving.cost import IterationCost
from archsim.serving.generate import generate
from archsim.serving.scheduler import SchedulerConfig, schedule

D = 0.01  # s, the fixed service time


def _fixed(b, ctx, chunks):
    return IterationCost(D, 1.0, host_s=D)


def _one_at_a_time(n, rho, seed):
    """Every request: one prompt token and one output token, served alone in one iteration of
    D seconds: an M/D/1 queue with service time D."""
    r = generate(n, rho / D, "fixed:1", "fixed:1", seed=seed)
    cfg = SchedulerConfig(max_batch=1, max_tokens=1)
    tl = schedule(r.arrival_s, r.prompt_tokens, r.output_tokens, _fixed, 10**6, 16, 1.0, cfg)
    return r, tl


def md1_wait(rho: float) -> float:
    """Pollaczek-Khinchine mean waiting time of M/D/1: rho D / (2 (1 - rho))."""
    return rho * D / (2 * (1 - rho))


@pytest.mark.parametrize(("rho", "n"), [(0.3, 20_000), (0.5, 30_000), (0.8, 60_000)])
def test_md1_mean_wait(rho, n):
    r, tl = _one_at_a_time(n, rho, seed=0)
    wait = np.mean(tl.first_scheduled_s - r.arrival_s)
    assert wait == pytest.approx(md1_wait(rho), rel=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
def test_md1_mean_wait_many_seeds(rho):
    waits = []
    for seed in range(1, 5):
        r, tl = _one_at_a_time(100_000, rho, seed)
        waits.append(np.mean(tl.first_scheduled_s - r.arrival_s))
    assert np.mean(waits) == pytest.approx(md1_wait(rho), rel=0.05)


def test_md1_sample_path_is_lindley():
    """Each wait equals Lindley's recursion W' = max(0, W + D - gap) on the same arrivals."""
    r, tl = _one_at_a_time(20_000, 0.8, seed=3)
    gaps = np.diff(r.arrival_s)
    w = np.zeros(len(r))
    for i, gap in enumerate(gaps):
        w[i + 1] = max(0.0, w[i] + D - gap)
    np.testing.assert_allclose(tl.first_scheduled_s - r.arrival_s, w, atol=1e-9)


def _linear_cost(b, ctx, chunks):
    """A cost that grows with batch tokens and context (1 ms + 20 us/token + 1 ns/context)."""
    tokens = b + sum(n for n, _ in chunks)
    t = 1e-3 + 20e-6 * tokens + 1e-9 * (ctx + sum(n * c for n, c in chunks))
    return IterationCost(t, t * 300.0, host_s=t)


@pytest.mark.parametrize("preemption", ["recompute", "swap"])
@pytest.mark.parametrize("prefill", ["chunked", "whole"])
def test_littles_law_and_conservation(prefill, preemption):
    """Little's law between the arrival/departure log and the time-averaged occupancy the
    scheduler integrates at each event; conservation of requests and tokens, with a cache
    small enough to force preemptions and drops."""
    r = generate(1500, 40.0, "uniform:1:400", "uniform:1:300", arrival="gamma", cv=3.0, seed=7)
    cfg = SchedulerConfig(max_batch=64, max_tokens=512, prefill=prefill, preemption=preemption)
    blocks = 40  # 640 tokens of 16: requests over 640 tokens (a few per cent) are dropped
    tl = schedule(r.arrival_s, r.prompt_tokens, r.output_tokens, _linear_cost, blocks, 16, 1e5, cfg)
    done = np.isfinite(tl.finish_s)
    # Every request finished or was dropped, with a reason; never both.
    assert done.sum() + len(tl.dropped) == len(r)
    assert not any(done[i] for i in tl.dropped)
    assert all("KV cache" in why for why in tl.dropped.values())
    too_long = np.ceil((r.prompt_tokens + r.output_tokens) / 16) > blocks - int(0.01 * blocks)
    assert set(np.flatnonzero(too_long)) == set(tl.dropped)
    assert tl.dropped and tl.preemptions.sum() > 0  # both paths are exercised
    # Tokens out = requested output tokens of finished requests.
    assert tl.generated.sum() == r.output_tokens[done].sum()
    np.testing.assert_array_equal(tl.generated[done], r.output_tokens[done])
    # Little's law: L (time average) = sum of sojourns / T.
    sojourn = np.where(done, tl.finish_s - r.arrival_s, 0.0).sum()
    assert tl.occupancy_area == pytest.approx(sojourn, rel=1e-9)
    # Causality.
    assert np.all(tl.first_token_s[done] >= r.arrival_s[done])
    assert np.all(tl.finish_s[done] >= tl.first_token_s[done])


def test_same_seed_same_schedule():
    r = generate(500, 30.0, "sharegpt", "sharegpt", seed=11)
    cfg = SchedulerConfig(max_batch=32, max_tokens=256)
    a = schedule(r.arrival_s, r.prompt_tokens, r.output_tokens, _linear_cost, 2000, 16, 1.0, cfg)
    b = schedule(r.arrival_s, r.prompt_tokens, r.output_tokens, _linear_cost, 2000, 16, 1.0, cfg)
    np.testing.assert_array_equal(a.finish_s, b.finish_s)
    np.testing.assert_array_equal(a.first_token_s, b.first_token_s)


def test_batching_caps():
    """No iteration holds more than max_batch requests; a batch forms under load."""
    r = generate(400, 500.0, "fixed:32", "fixed:64", seed=2)
    cfg = SchedulerConfig(max_batch=8, max_tokens=64)
    tl = schedule(r.arrival_s, r.prompt_tokens, r.output_tokens, _linear_cost, 10**5, 16, 1.0, cfg)
    assert tl.max_running == 8
    assert max(tl.batch_tokens) <= 64
