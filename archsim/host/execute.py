"""Run an op on the host NPU: compute from the arrays, stalls from the DRAM and link models."""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsim.config.system import SystemConfig
from archsim.engine.actions import DEVICE_PREFIX, Actions, Ledger
from archsim.engine.demands import Demands, Hold, demands, stage
from archsim.host.npu import host_work
from archsim.memory.fastforward import stream_timing
from archsim.workload.graph import Workload


@dataclass(frozen=True)
class Remote:
    """Tensors the host reaches in a separate device's memory over that device's link (the KV
    cache on an AttAcc-style attention device), with the device's energy model."""

    tensors: frozenset[str]
    energy: Actions


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
    energy: Actions,
    onchip: frozenset[str],
    fidelity: str = "fast",
    remote: Remote | None = None,
) -> HostOpResult:
    """One execution of ``op`` on the host, its operands streamed from DRAM over the host link.

    Compute and operand streaming overlap (double-buffered tiles), so the op takes the longer of
    the two plus the link latency of the first tile. Tensors in ``remote`` stream from a
    separate device's memory over its link at the same time (``pim_channels``, ``pim_link``).
    """
    host, link, mem = system.host, system.host_link, system.memory
    assert host is not None and link is not None
    work = host_work(op, workload, host)
    far = remote.tensors if remote is not None else frozenset()
    ledger = Ledger()
    near = _traffic(
        mem, link, work, lambda t: t not in onchip and t not in far, energy, ledger, fidelity
    )
    holds = [Hold("channels", near.dram_ns, "host"), Hold("link", near.link_ns)]
    latency = link.latency_ns if near.moved else 0.0
    memory_ns = near.memory_ns
    if remote is not None:
        assert system.pim_memory is not None and system.pim_link is not None
        device = Ledger()
        away = _traffic(
            system.pim_memory, system.pim_link, work, lambda t: t in far, remote.energy, device,
            fidelity,
        )  # fmt: skip
        ledger.add(device, prefix=DEVICE_PREFIX)
        holds += [Hold("pim_channels", away.dram_ns, "host"), Hold("pim_link", away.link_ns)]
        latency = max(latency, system.pim_link.latency_ns if away.moved else 0.0)
        memory_ns = max(memory_ns, away.memory_ns)
    compute_ns = work.compute_cycles / host.clock_hz * 1e9
    # The arrays, the channels and the link work at once on double-buffered tiles; the first
    # tile's link latency is paid once.
    need = demands(stage(Hold("host", compute_ns), *holds), stage(Hold("delay", latency)))
    time_ns = need.alone_ns
    energy.mac(ledger, "host", work.macs, work.dtype)
    energy.vector(ledger, "host", work.vector_flops)
    energy.sram(ledger, "host", work.sram_bytes)
    bound = "compute" if compute_ns >= memory_ns else "memory"
    return HostOpResult(time_ns, ledger, work.macs, bound, compute_ns, memory_ns, need)


@dataclass(frozen=True)
class _Traffic:
    moved: float
    dram_ns: float
    link_ns: float

    @property
    def memory_ns(self) -> float:
        return max(self.dram_ns, self.link_ns)


def _traffic(mem, link, work, keep, energy: Actions, ledger: Ledger, fidelity) -> _Traffic:
    """The op's traffic of the tensors ``keep`` admits with one memory over one link: the
    stream timed on the memory's kernel, charged to ``energy``."""
    read = sum(v for k, v in work.read_bytes.items() if keep(k))
    write = sum(v for k, v in work.write_bytes.items() if keep(k))
    moved = read + write
    if not moved:
        return _Traffic(0.0, 0.0, 0.0)
    org = mem.organization
    lines = math.ceil(moved / org.line_bytes)
    stream = stream_timing(mem, lines, write / moved, fidelity=fidelity)
    energy.activations(ledger, stream.counts["activations"])
    energy.dram_columns(ledger, moved * 8, "tsv")
    energy.link(ledger, moved)
    dram_ns = stream.cycles * org.tck_ps / 1000.0
    return _Traffic(moved, dram_ns, moved / link.bandwidth_bytes_per_s * 1e9)
