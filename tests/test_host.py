"""Host NPU: systolic compute cycles agree with SCALE-Sim; many arrays share a GEMM batch the way
GPU and TPU tilers do; tiling traffic behaves; device studies are external and can fail."""

from __future__ import annotations

import math

import pytest

from archsim.config.presets import load_system
from archsim.host.npu import gemm_batch_cycles
from archsim.host.systolic import gemm_cycles, pipelined_gemm_cycles, plan_gemms
from archsim.host.tiling import tile_gemm
from archsim.host.validation import (
    A100_GEMMS,
    SCALESIM,
    TPU_V5E_GEMMS,
    device_gemm_studies,
    host_studies,
    tpu_v5e_host,
)

A100 = load_system("dgx-a100-hbm3").host
HBM3_BYTES_PER_S = 3.35e12  # the dgx-a100-hbm3 host link (its KV and weight streams)


@pytest.mark.parametrize(("rows", "cols", "m", "n", "k", "ws", "os"), SCALESIM)
def test_systolic_cycles_match_scalesim(rows, cols, m, n, k, ws, os):
    assert gemm_cycles(m, n, k, rows, cols, "ws") == ws
    assert gemm_cycles(m, n, k, rows, cols, "os") == os


@pytest.mark.parametrize(("rows", "cols", "m", "n", "k", "ws", "os"), SCALESIM)
def test_one_array_without_double_buffering_is_scalesim_exactly(rows, cols, m, n, k, ws, os):
    assert plan_gemms(1, m, n, k, rows, cols, "ws", 1).cycles == ws
    assert plan_gemms(1, m, n, k, rows, cols, "os", 1).cycles == os


def test_double_buffering_never_slows_a_gemm_and_a_single_fold_is_unchanged():
    for m, n, k in [(1, 4096, 4096), (8, 64, 64), (100, 37, 50), (512, 512, 512), (33, 17, 9)]:
        for r, c in [(8, 8), (16, 16), (32, 32), (128, 128)]:
            assert pipelined_gemm_cycles(m, n, k, r, c, "ws") <= gemm_cycles(m, n, k, r, c, "ws")
            assert pipelined_gemm_cycles(m, n, k, r, c, "os") == gemm_cycles(m, n, k, r, c, "os")
    for m in (1, 8, 64):
        one_fold = (m, 16, 16, 16, 16, "ws")
        assert pipelined_gemm_cycles(*one_fold) == gemm_cycles(*one_fold)


def test_a_plan_uses_no_more_arrays_than_the_host_has():
    for count, m, n, k in [(1, 1024, 1024, 1024), (64, 8, 2049, 128), (1000, 8, 128, 64)]:
        p = plan_gemms(count, m, n, k, 16, 16, "ws", 432, True, 1.0, 13830)
        assert math.prod(p.grid) <= p.group
        assert min(count, 432 // p.group) * p.group <= 432
        assert p.rounds == math.ceil(count / min(count, 432 // p.group))


def _tflops(count, m, n, k, host=A100):
    cycles = gemm_batch_cycles(host, count, m, n, k, 1.0)
    return 2 * count * m * n * k / (cycles / host.clock_hz) / 1e12


def test_an_a100_class_host_reaches_near_peak_on_a_1024_cubed_gemm():
    assert A100.double_buffered_weights
    assert _tflops(1, 1024, 1024, 1024) > 0.95 * 311.9  # 78 TFLOPS with the 1-D split
    exact = A100.model_copy(update={"double_buffered_weights": False})
    assert _tflops(1, 1024, 1024, 1024, exact) > 0.75 * 311.9  # SCALE-Sim folds, 2-D grid


def test_batched_decode_attention_is_spread_over_the_arrays_and_memory_bound():
    # Llama2-70B decode, batch 64 over 8 GPUs: per request and KV head, QK^T and AV.
    qk, av = (64, 8, 2049, 128), (64, 8, 128, 2049)
    compute_s = sum(gemm_batch_cycles(A100, *g, 1.0) for g in (qk, av)) / A100.clock_hz
    kv_bytes = 2 * 64 * 2049 * 128 * 2  # K and V, fp16
    assert compute_s < 0.5 * kv_bytes / HBM3_BYTES_PER_S  # FlashDecoding runs it memory-bound
    plan = plan_gemms(*qk, 16, 16, "ws", 432, True, 1.0, 13830)
    assert plan.group < 432 and plan.rounds < 64  # groups of arrays, a few rounds


def test_a_skinny_gemm_is_memory_bound_with_double_buffered_weights():
    cycles = gemm_batch_cycles(A100, 1, 8, 4096, 4096, 1.0)
    assert cycles / A100.clock_hz < 4096 * 4096 * 2 / HBM3_BYTES_PER_S


def test_host_studies_pass_or_carry_a_finding():
    studies = host_studies()
    scalesim = [s for s in studies if "SCALE-Sim" in s.name]
    assert len(scalesim) == 48 and all(s.ok for s in scalesim)
    assert all(s.ok or s.finding for s in studies)


def test_device_studies_are_external_compute_bound_points_and_can_fail():
    studies = device_gemm_studies()
    assert len(studies) == len(A100_GEMMS) + len(TPU_V5E_GEMMS)
    assert all(s.kind == "external" and s.citation and s.bound == 0.10 for s in studies)
    # Selection rule: compute-bound on the published roofline (A100 80GB: 312 TFLOPS, 2.039 TB/s,
    # NVIDIA A100 datasheet; v5e: 197 TFLOPS, 819 GB/s, Cloud TPU docs) and at least 0.5 ms.
    for rows, peak, bandwidth in ((A100_GEMMS, 312e12, 2.039e12), (TPU_V5E_GEMMS, 197e12, 819e9)):
        for m, n, k, ms in rows:
            assert ms >= 0.5
            assert 2 * m * n * k / (2 * (m * k + k * n + m * n)) > peak / bandwidth
    # The arrays, not the vector unit, run them.
    v5e = tpu_v5e_host()
    for m, n, k, _ in TPU_V5E_GEMMS:
        assert gemm_batch_cycles(v5e, 1, m, n, k, 1.0) < 2 * m * n * k / v5e.vector_flops_per_cycle
    # A host at half its clock misses every study: the table can fail.
    slow = A100.model_copy(update={"clock_hz": A100.clock_hz / 2})
    for m, n, k, ms in A100_GEMMS:
        model = gemm_batch_cycles(slow, 1, m, n, k, 1.0) / slow.clock_hz * 1e3
        assert abs(model - ms) / ms > 0.10


def test_a_gemv_streams_its_weights_once_when_the_vector_fits():
    t = tile_gemm(4096, 1, 4096, buffer_bytes=1 << 20, a_bytes=2, b_bytes=2, c_bytes=2)
    assert t.dram_read_bytes == 4096 * 4096 * 2 + 4096 * 2


def test_a_small_buffer_makes_a_large_gemm_re_read_its_operands():
    big = tile_gemm(2048, 2048, 2048, 64 << 20, 2, 2, 2)
    small = tile_gemm(2048, 2048, 2048, 256 << 10, 2, 2, 2)
    compulsory = 2 * 2048 * 2048 * 2
    assert big.dram_read_bytes == compulsory
    assert small.dram_read_bytes > 4 * compulsory
