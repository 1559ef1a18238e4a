"""Links: bandwidth, latency, energy, and contention between flows."""

from __future__ import annotations

import pytest
import simpy

from archsim.config.compute import LinkConfig
from archsim.interconnect.link import Link

PCIE = LinkConfig(kind="pcie", width=16, rate="32GT/s", latency="500ns", energy="4.4pJ/bit")


def test_one_transfer_takes_bytes_over_bandwidth_plus_latency():
    env = simpy.Environment()
    link = Link(env, PCIE)
    env.process(link.transfer(64e6))
    env.run()
    assert PCIE.bandwidth_bytes_per_s == pytest.approx(64e9)
    assert env.now == pytest.approx(1e6 + 500)
    assert link.energy_pj() == pytest.approx(64e6 * 8 * 4.4)


def test_two_flows_on_one_link_contend():
    env = simpy.Environment()
    link = Link(env, PCIE)
    finish = {}

    def flow(name):
        yield from link.transfer(32e6)
        finish[name] = env.now

    env.process(flow("a"))
    env.process(flow("b"))
    env.run()
    assert sorted(finish.values()) == pytest.approx([0.5e6 + 500, 1e6 + 500])
    assert link.busy_ns == pytest.approx(1e6)
