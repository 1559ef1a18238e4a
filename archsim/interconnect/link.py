"""A link as a SimPy resource: transfers queue for it, so flows sharing a link slow each other.

A transfer of ``n`` bytes holds the link for ``n / bandwidth`` and then arrives ``latency``
later; two flows sharing one link therefore take as long as their bytes together, which is
what a fairly arbitrated bus delivers in aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import simpy

from archsim.config.compute import LinkConfig


@dataclass
class Link:
    env: simpy.Environment
    config: LinkConfig
    name: str = "host_link"
    resource: simpy.Resource = field(init=False)
    bytes_moved: float = 0.0
    busy_ns: float = 0.0

    def __post_init__(self) -> None:
        self.resource = simpy.Resource(self.env, capacity=1)

    def occupancy_ns(self, nbytes: float) -> float:
        return nbytes / self.config.bandwidth_bytes_per_s * 1e9

    def transfer(self, nbytes: float):
        """SimPy process: move ``nbytes`` over the link (time in ns)."""
        with self.resource.request() as req:
            yield req
            hold = self.occupancy_ns(nbytes)
            yield self.env.timeout(hold)
            self.bytes_moved += nbytes
            self.busy_ns += hold
        yield self.env.timeout(self.config.latency_ns)

    def energy_pj(self) -> float:
        return self.bytes_moved * 8 * self.config.energy_pj_per_bit
