"""The host NPU: what one execution of an op costs in compute cycles and operand traffic.

Matrix products go to the systolic arrays (:mod:`archsim.host.systolic`: SCALE-Sim's per-array
accounting, optionally with double-buffered weights; a batch of GEMMs spread over all arrays, a
2-D grid per GEMM) with capacity-driven tiling for the DRAM traffic (:mod:`archsim.host.tiling`);
element-wise work goes to the vector unit. Memory time is not decided here: the caller times the
traffic on the memory model and the host link, so stalls come from them, not from a constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsim.config.compute import HostConfig
from archsim.host.systolic import plan_gemms
from archsim.host.tiling import tile_gemm
from archsim.workload.graph import Workload
from archsim.workload.tensor import Tensor


@dataclass(frozen=True)
class HostWork:
    """One execution of an op on the host."""

    compute_cycles: int  # NPU clock cycles with no memory stalls
    read_bytes: dict[str, int]  # operand bytes the op needs, by tensor (re-reads included)
    write_bytes: dict[str, int]
    macs: int
    vector_flops: int
    sram_bytes: int  # on-chip buffer traffic (fills, array feeds, results)
    dtype: str


def _dtype_of(op, workload: Workload) -> str:
    tensors = [workload.tensors[name] for name in op.inputs]
    weights = [t for t in tensors if t.role == "weight"]
    return (weights or tensors or [Tensor(name="x", shape=(1,), dtype="fp16", role="input")])[
        0
    ].dtype


def _element_bytes(tensor: Tensor) -> float:
    """Stored bytes per dense element (below the dtype size when sparse and compressed)."""
    return tensor.stored_bytes / max(tensor.elements, 1)


def gemm_batch_cycles(host: HostConfig, count: int, m: int, n: int, k: int, rate: float) -> int:
    """Compute cycles of ``count`` independent m x n x k products at ``rate`` MACs per PE.

    The batch spreads over the arrays (a group of arrays per product, a 2-D grid inside each
    group, rounds over the count: :func:`archsim.host.systolic.plan_gemms`); skinny products
    that fill and drain the arrays for little work run on the vector unit when that is faster.
    """
    plan = plan_gemms(
        count, m, n, k, host.array_rows, host.array_cols, host.dataflow, host.arrays,
        host.double_buffered_weights, rate, host.vector_flops_per_cycle,
    )  # fmt: skip
    vector_path = count * math.ceil(2 * m * n * k / host.vector_flops_per_cycle)
    return min(math.ceil(plan.cycles), vector_path)


def host_work(op, workload: Workload, host: HostConfig) -> HostWork:
    """Compute cycles and traffic of one execution of ``op`` on ``host``."""
    dtype = _dtype_of(op, workload)
    read = dict(op.bytes_read(workload))
    write = dict(op.bytes_written(workload))
    rate = host.macs_per_pe.get(dtype)  # type: ignore[call-overload]
    if rate is None:
        rate = min(host.macs_per_pe.values())
    cycles = 0
    sram = sum(read.values()) + sum(write.values())
    gemms = op.gemm_view()
    tensors = [workload.tensors[name] for name in op.inputs]
    for count, m, n, k in gemms:
        cycles += gemm_batch_cycles(host, count, m, n, k, rate)
        # Re-reads beyond the compulsory traffic come from tiling the product into the buffer.
        a = _element_bytes(tensors[0]) if tensors else 2.0
        b = _element_bytes(tensors[1]) if len(tensors) > 1 else a
        tiling = tile_gemm(m, n, k, host.sram_bytes, a, b, 2.0)
        compulsory = m * k * a + k * n * b
        extra = max(0, tiling.dram_read_bytes - math.ceil(compulsory))
        if extra and op.inputs:
            key = op.inputs[0]
            read[key] = read.get(key, 0) + count * extra
        # The array is fed from the buffer: each operand element once per fold that uses it.
        sram += count * math.ceil(
            m * k * a * math.ceil(n / host.array_cols) + k * n * b * math.ceil(m / host.array_rows)
        )
    if not gemms and op.macs():
        # Dense factorizations (solver ops) run blocked on the arrays at full occupancy.
        pes = host.arrays * host.array_rows * host.array_cols
        cycles += math.ceil(op.macs() / (pes * rate))
    vector = max(op.flops() - 2 * op.macs(), 0)
    if vector:
        cycles += math.ceil(vector / host.vector_flops_per_cycle)
    return HostWork(cycles, read, write, op.macs(), vector, sram, dtype)
