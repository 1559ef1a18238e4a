"""Property tests: for any small trace, the controller conserves requests, keeps time moving
forward, and every command it issues passes the independent checker."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archsim.config.presets import load_system
from archsim.memory.checker import check_command_log
from archsim.memory.command_log import CommandLogWriter
from archsim.memory.controller import DramTiming, RequestBatch
from tests.conftest import SYSTEMS

CONTROLLERS = [
    {},
    {"row_policy": "closed"},
    {"scheduler": "fcfs"},
    {"queue_depth": 4, "write_drain_high": 0.5, "write_drain_low": 0.25},
    {"frontend_window": 1},
]


@st.composite
def traces(draw):
    name = draw(st.sampled_from(SYSTEMS))
    controller = draw(st.sampled_from(CONTROLLERS))
    cfg = load_system(name, {"memory": {"controller": controller}})
    n = draw(st.integers(1, 300))
    org = cfg.memory.organization
    # A few hot rows plus scattered lines, so hits, conflicts and refreshes all occur.
    lines = org.capacity_bytes // org.line_bytes
    pool = draw(st.lists(st.integers(0, lines - 1), min_size=1, max_size=12))
    picks = draw(st.lists(st.integers(0, len(pool) * 4 - 1), min_size=n, max_size=n))
    address = (
        np.array([pool[p % len(pool)] + (p // len(pool)) for p in picks], dtype=np.uint64)
        % np.uint64(lines)
        * np.uint64(org.line_bytes)
    )
    is_write = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    gaps = draw(st.lists(st.integers(0, 200), min_size=n, max_size=n))
    arrival = np.cumsum(gaps).astype(np.int64)
    batch = draw(st.integers(1, n))
    return name, cfg, address, is_write, arrival, batch


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(traces())
def test_controller_invariants(tmp_path_factory, case):
    name, cfg, address, is_write, arrival, batch_size = case
    path = tmp_path_factory.mktemp("log") / "cmd.log"
    writer = CommandLogWriter(path, cfg, name)
    done = []
    timing = DramTiming(
        cfg.memory, command_log=writer.write, completions=done.append, buffer_rows=256
    )
    full = RequestBatch.from_addresses(timing.mapping, address, is_write, arrival)
    n = len(address)
    for lo in range(0, n, batch_size):
        timing.step(full.take(np.arange(lo, min(lo + batch_size, n))))
    timing.step(RequestBatch.empty(), final=True)
    writer.close()
    done = np.concatenate(done)
    # Every request completes exactly once, after it arrived.
    assert sorted(done[:, 0].tolist()) == list(range(n))
    assert (done[:, 1] > arrival[done[:, 0]]).all()
    # Reads and writes are conserved.
    assert timing.counters[:, 0].sum() + timing.counters[:, 1].sum() == n
    assert timing.counters[:, 1].sum() == is_write.sum()
    # Every command respects the standard, and time never goes backwards.
    result = check_command_log(path, cfg)
    assert result.violations == []
