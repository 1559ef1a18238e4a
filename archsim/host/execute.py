"""Run an op on the host NPU: compute from the arrays, stalls from the DRAM and link models."""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsim.config.system import SystemConfig
from archsim.energy.ledger import EnergyModel, Ledger
from archsim.engine.demands import Demands, Hold, demands, stage
from archsim.host.npu import host_work
from archsim.memory.fastforward import stream_timing
from archsim.workload.graph import Workload


@dataclass(frozen=True)
class HostOpResult:
    time_ns: float
    ledger: Ledger
    macs: int
    bound: str
    compute_ns: float
    memory_ns: float
    demands: Demands


def run_on_host(
    system: SystemConfig,
    op,
    workload: Workload,
    energy: EnergyModel,
    onchip: frozenset[str],
    fidelity: str = "fast",
) -> HostOpResult:
    """One execution of ``op`` on the host, its operands streamed from DRAM over the host link.

    Compute and operand streaming overlap (double-buffered tiles), so the op takes the longer of
    the two plus the link latency of the first tile.
    """
    host, link, mem = system.host, system.host_link, system.memory
    assert host is not None and link is not None
    org = mem.organization
    work = host_work(op, workload, host)
    read = sum(v for k, v in work.read_bytes.items() if k not in onchip)
    write = sum(v for k, v in work.write_bytes.items() if k not in onchip)
    moved = read + write
    ledger = Ledger()
    memory_ns = dram_ns = link_ns = 0.0
    if moved:
        lines = math.ceil(moved / org.line_bytes)
        stream = stream_timing(mem, lines, write / moved, fidelity=fidelity)
        dram_ns = stream.cycles * org.tck_ps / 1000.0
        link_ns = moved / link.bandwidth_bytes_per_s * 1e9
        memory_ns = max(dram_ns, link_ns)
        energy.activations(ledger, stream.counts["activations"])
        energy.dram_columns(ledger, moved * 8, "tsv")
        energy.link(ledger, moved)
    compute_ns = work.compute_cycles / host.clock_hz * 1e9
    # The arrays, the channels and the link work at once on double-buffered tiles; the first
    # tile's link latency is paid once.
    need = demands(
        stage(
            Hold("host", compute_ns),
            Hold("channels", dram_ns, "host"),
            Hold("link", link_ns),
        ),
        stage(Hold("delay", link.latency_ns if moved else 0.0)),
    )
    time_ns = need.alone_ns
    energy.mac(ledger, "host", work.macs, work.dtype)
    energy.vector(ledger, "host", work.vector_flops)
    energy.sram(ledger, "host", work.sram_bytes)
    bound = "compute" if compute_ns >= memory_ns else "memory"
    return HostOpResult(time_ns, ledger, work.macs, bound, compute_ns, memory_ns, need)
