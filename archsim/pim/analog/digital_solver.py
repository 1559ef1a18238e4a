"""Digital conjugate gradient for the same problem, on the host NPU and on in-bank PIM.

CG runs for real (float32, as the hardware would) until it matches the analog solver's accuracy;
the iteration count then prices both digital options from a system preset:

- host NPU: each iteration streams A over the host link unless A fits in the on-chip SRAM;
- in-bank PIM: A stays in the banks, only the direction vector goes in and A·p comes back,
  so the host link carries 2·n elements per iteration: the closed loop without shuttling.
"""

from __future__ import annotations

import numpy as np

from archsim.pim.analog.closed_loop_config import DigitalSolverConfig


def cg_iterations(a: np.ndarray, b: np.ndarray, target: float, max_iterations: int) -> int:
    """Iterations of float32 CG until the relative error to the exact solution is <= target."""
    exact = np.linalg.solve(a, b)
    norm = np.linalg.norm(exact)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    x = np.zeros_like(b32)
    r = b32 - a32 @ x
    p = r.copy()
    rr = float(r @ r)
    for k in range(1, max_iterations + 1):
        ap = a32 @ p
        curvature = float(p @ ap)
        if curvature <= 0 or rr == 0:  # float32 breakdown: the target is out of its reach
            return max_iterations
        alpha = rr / curvature
        x += alpha * p
        r -= alpha * ap
        if np.linalg.norm(x - exact) / norm <= target:
            return k
        rr_new = float(r @ r)
        p = r + (rr_new / rr) * p
        rr = rr_new
    return max_iterations


def compare(
    a: np.ndarray, b: np.ndarray, target: float, cfg: DigitalSolverConfig
) -> dict[str, dict[str, float]]:
    """Time, energy and host-link bytes of CG on the host and on in-bank PIM."""
    from archsim.config.presets import load_system
    from archsim.pim.units import unit_of

    system = load_system(cfg.system)
    n = a.shape[0]
    e = cfg.bytes_per_element
    iters = cg_iterations(a, b, target, cfg.max_iterations)
    flops = 2 * n * n + 10 * n  # A·p plus two dots and three axpys
    matrix_bytes = n * n * e
    vector_bytes = 4 * n * e
    link = system.host_link
    host = system.host
    if host is None or link is None:
        raise ValueError(f"digital.system {cfg.system!r} has no host and host link")
    streams = matrix_bytes > host.sram_bytes
    host_bytes = (matrix_bytes if streams else 0) + vector_bytes
    host_time = (
        max(flops / host.peak_flops("fp32"), host_bytes / link.bandwidth_bytes_per_s)
        + cfg.iteration_latency_s
    )
    host_energy = flops * cfg.flop_energy_pj + host_bytes * 8 * (
        cfg.host_read_energy_pj_per_bit if streams else link.energy_pj_per_bit
    )
    pim_flops = unit_of(system).peak_flops(system) or host.peak_flops("fp32")
    pim_bytes = 2 * n * e
    # The host still runs the dots and axpys and issues the PIM commands: same fixed cost, plus
    # a link round trip for the vector in and A·p out.
    pim_time = (
        max(2 * n * n / pim_flops, pim_bytes / link.bandwidth_bytes_per_s)
        + 10 * n / host.peak_flops("fp32")
        + cfg.iteration_latency_s
        + 2 * link.latency_ns * 1e-9
    )
    pim_energy = (
        matrix_bytes * 8 * cfg.in_bank_read_energy_pj_per_bit
        + flops * cfg.flop_energy_pj
        + pim_bytes * 8 * link.energy_pj_per_bit
    )
    once = matrix_bytes if not streams else 0
    return {
        "host_npu": {
            "iterations": iters,
            "time_s": iters * host_time,
            "energy_pj": iters * host_energy + once * 8 * cfg.host_read_energy_pj_per_bit,
            "host_link_bytes_per_iteration": host_bytes,
            "host_link_bytes": iters * host_bytes + once,
        },
        "in_bank_pim": {
            "iterations": iters,
            "time_s": iters * pim_time,
            "energy_pj": iters * pim_energy,
            "host_link_bytes_per_iteration": pim_bytes,
            "host_link_bytes": iters * pim_bytes,
        },
    }
