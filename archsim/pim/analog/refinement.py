"""Analog iterative refinement's digital side: where the residual is computed and what it costs.

Refinement (x ← x + G̃⁻¹(b - A·x), Zuo et al., Nature Electronics 2025) computes each residual
digitally: on the system's host and link, or on the circuit's ``digital.system``; each residual
is one or more GEMVs over the matrix, timed and priced here (:class:`ResidualHost`).
"""

from __future__ import annotations

from dataclasses import dataclass

from archsim.errors import ArchsimError
from archsim.pim.analog.closed_loop_config import ClosedLoopConfig


@dataclass(frozen=True)
class ResidualHost:
    """Where the digital residual b - A·x of iterative refinement is computed, and its costs."""

    flops_per_s: float
    link_bytes_per_s: float
    sram_bytes: float
    link_pj_per_bit: float
    flop_energy_pj: float
    read_energy_pj_per_bit: float  # DRAM read path to the host, for A when it does not fit SRAM
    bytes_per_element: int
    latency_s: float  # fixed cost per residual (a kernel launch and a reduction)

    def cost(self, rows: int, cols: int) -> tuple[float, float, float, float]:
        """(time s, compute pJ, memory pJ, host-link bytes) of one residual of a rows x cols A."""
        flops = 2 * rows * cols + 3 * rows
        a_bytes = rows * cols * self.bytes_per_element
        streams = a_bytes > self.sram_bytes
        link = (a_bytes if streams else 0) + (rows + cols) * self.bytes_per_element
        time = max(flops / self.flops_per_s, link / self.link_bytes_per_s) + self.latency_s
        memory = link * 8 * (self.read_energy_pj_per_bit if streams else self.link_pj_per_bit)
        return time, flops * self.flop_energy_pj, memory, link


def residual_host(cfg: ClosedLoopConfig, system=None) -> ResidualHost:
    """The residual's host: ``system``'s host and link, or the circuit's ``digital.system``."""
    from archsim.config.presets import load_system

    system = system if system is not None else load_system(cfg.digital.system)
    host, link = system.host, system.host_link
    if host is None or link is None:
        raise ArchsimError(f"system {system.name!r}: the refinement residual needs a host and link")
    d = cfg.digital
    return ResidualHost(
        flops_per_s=host.peak_flops("fp32"), link_bytes_per_s=link.bandwidth_bytes_per_s,
        sram_bytes=host.sram_bytes, link_pj_per_bit=link.energy_pj_per_bit,
        flop_energy_pj=d.flop_energy_pj, read_energy_pj_per_bit=d.host_read_energy_pj_per_bit,
        bytes_per_element=d.bytes_per_element, latency_s=d.iteration_latency_s,
    )


def residual_cost(host: ResidualHost | None, cfg: ClosedLoopConfig, rows: int, cols: int,
                   passes: int) -> tuple[float, float, float, float]:
    """(time s, compute pJ, memory pJ, link bytes) of ``passes`` digital GEMVs over a rows x cols
    matrix: the host's when given, else only the FLOPs at the circuit's digital energy."""
    if host is None:
        return 0.0, passes * 2 * rows * cols * cfg.digital.flop_energy_pj, 0.0, 0.0
    t, comp, mem, link = host.cost(rows, cols)
    return passes * t, passes * comp, passes * mem, passes * link


def check_refinement(tolerance: float | None) -> None:
    if tolerance is not None and not 0 < tolerance < 1:
        raise ArchsimError(f"tolerance: must be in (0, 1), got {tolerance}")


def refinement_failed(what: str, rel: float, steps: int, tolerance: float,
                      cfg: ClosedLoopConfig) -> ArchsimError:  # fmt: skip
    return ArchsimError(
        f"closed loop: {what} refinement reached a relative residual of {rel:.3g} after {steps}"
        f" steps, not the requested {tolerance:.3g} (max_refinement_iterations"
        f" {cfg.max_refinement_iterations}; the programmed matrix is too far from A)"
    )
