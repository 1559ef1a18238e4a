"""Host NPU: systolic compute cycles agree with SCALE-Sim; tiling traffic behaves."""

from __future__ import annotations

import pytest

from archsim.host.systolic import gemm_cycles
from archsim.host.tiling import tile_gemm
from archsim.host.validation import SCALESIM, host_studies


@pytest.mark.parametrize(("rows", "cols", "m", "n", "k", "ws", "os"), SCALESIM)
def test_systolic_cycles_match_scalesim(rows, cols, m, n, k, ws, os):
    assert gemm_cycles(m, n, k, rows, cols, "ws") == ws
    assert gemm_cycles(m, n, k, rows, cols, "os") == os


def test_host_studies_all_pass():
    assert all(s.ok for s in host_studies())


def test_a_gemv_streams_its_weights_once_when_the_vector_fits():
    t = tile_gemm(4096, 1, 4096, buffer_bytes=1 << 20, a_bytes=2, b_bytes=2, c_bytes=2)
    assert t.dram_read_bytes == 4096 * 4096 * 2 + 4096 * 2


def test_a_small_buffer_makes_a_large_gemm_re_read_its_operands():
    big = tile_gemm(2048, 2048, 2048, 64 << 20, 2, 2, 2)
    small = tile_gemm(2048, 2048, 2048, 256 << 10, 2, 2, 2)
    compulsory = 2 * 2048 * 2048 * 2
    assert big.dram_read_bytes == compulsory
    assert small.dram_read_bytes > 4 * compulsory
