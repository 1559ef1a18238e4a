"""Quantization shrinks what moves; pruning shrinks what computes; solver matrices regenerate."""

from __future__ import annotations

import numpy as np
import pytest

from archsim.errors import ConfigError
from archsim.workload.cnn import cnn_workload
from archsim.workload.generators import gemm_workload
from archsim.workload.ops import EigenOp, RegressionOp, SolveOp
from archsim.workload.presets import load_workload
from archsim.workload.quantize import prune, quantize
from archsim.workload.solvers import (
    kalman_workload,
    make_matrix,
    pagerank_iterations,
    pagerank_workload,
    regression_workload,
    solve_workload,
)
from archsim.workload.transformer import llm_workload


def test_int4_weights_and_int8_cache():
    base = llm_workload("llama2-7b", "decode", context=512)
    q = quantize(base, weights="int4", kv_cache="int8", group_size=128)
    b, t = base.totals(), q.totals()
    assert t.params == b.params and t.macs == b.macs
    assert t.weight_bytes == b.params // 2 + b.params // 128 * 2  # 4 bits + fp16 scale / 128
    assert t.kv_cache_bytes == b.kv_cache_bytes // 2
    assert t.activation_bytes == b.activation_bytes
    assert any("quantized" in n for n in q.notes)
    assert base.tensors["layers.q_proj.w"].dtype == "fp16"  # the input is unchanged


def test_int4_preset_matches_the_pass():
    preset = load_workload("llama2-7b-decode-int4")
    manual = quantize(load_workload("llama2-7b-decode"), weights="int4", kv_cache="int8",
                      group_size=128)  # fmt: skip
    assert preset.totals() == manual.totals()


def test_two_four_sparsity_halves_gemm_macs():
    base = cnn_workload("resnet50")
    pruned = prune(base, "2:4")
    conv_macs = sum(op.macs() for op in base.ops if op.kind in ("conv2d", "gemv", "gemm"))
    skipped_macs = sum(
        op.macs() for op in base.ops
        if op.kind == "conv2d" and base.tensors[op.inputs[1]].shape[-1] % 4
    )  # fmt: skip
    assert base.totals().macs - pruned.totals().macs == (conv_macs - skipped_macs) // 2
    assert pruned.totals().weight_bytes < base.totals().weight_bytes
    assert any("not pruned" in n for n in pruned.notes)  # 7x7 and 3x3 kernels: last dim 7 / 3


def test_unstructured_pruning_index_overhead():
    base = gemm_workload(16, 256, 256, dtype="fp16")
    pruned = prune(base, 0.5)
    w = pruned.tensors["w"]
    assert pruned.totals().macs == 16 * w.nonzeros == base.totals().macs // 2
    assert pruned.totals().weight_bytes == w.nonzeros * 2 + 256 * 256 // 8
    csr = prune(base, 0.5, format="csr").tensors["w"]
    assert csr.stored_bytes > w.stored_bytes  # 16-bit indices cost more than a bitmap at 50%


def test_bad_pass_arguments():
    base = gemm_workload(2, 4, 8)
    with pytest.raises(ConfigError, match="weights: 'int3'"):
        quantize(base, weights="int3")
    with pytest.raises(ConfigError, match="sparsity"):
        prune(base, "two:four")
    with pytest.raises(ConfigError, match="sparsity"):
        prune(base, 1.5)


# -- solver matrices --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["spd", "diagonally-dominant", "covariance", "toeplitz", "kalman"])
def test_solve_matrices_are_deterministic_and_well_posed(kind):
    w = solve_workload(48, kind, rhs=2, seed=7)
    op = w.ops[0]
    a, b = make_matrix(op)
    a2, b2 = make_matrix(SolveOp.model_validate(op.model_dump()))
    assert np.array_equal(a, a2) and np.array_equal(b, b2)
    assert a.shape == (48, 48) and b.shape == (48, 2)
    if kind == "diagonally-dominant":
        off = np.abs(a).sum(axis=1) - np.abs(np.diag(a))
        assert np.all(np.abs(np.diag(a)) > off)
    else:
        assert np.allclose(a, a.T) and np.linalg.eigvalsh(a).min() > 0
    x = np.linalg.solve(a, b)
    assert np.allclose(a @ x, b)
    other = make_matrix(op.model_copy(update={"seed": 8}))[0]
    assert not np.array_equal(a, other)


def test_spd_condition_number():
    op = solve_workload(64, "spd", condition=1000.0).ops[0]
    assert np.linalg.cond(make_matrix(op)[0]) == pytest.approx(1000.0, rel=1e-6)


def test_pagerank_and_regression_and_kalman():
    w = pagerank_workload(200, damping=0.85, tolerance=1e-6)
    op: EigenOp = w.ops[0]
    assert op.iterations == pagerank_iterations(0.85, 1e-6) == 86
    g, x0 = make_matrix(op)
    assert np.allclose(g.sum(axis=0), 1.0) and np.isclose(x0.sum(), 1.0)
    reg: RegressionOp = regression_workload(300, 12, ridge=0.5, matrix_kind="correlated").ops[0]
    x, y = make_matrix(reg)
    assert x.shape == (300, 12) and y.shape == (300,)
    k = kalman_workload(16, 4)
    gain = next(op for op in k.ops if op.kind == "solve")
    s, hp = make_matrix(gain)
    assert s.shape == (4, 4) and hp.shape == (4, 16)
    assert k.totals().macs > gain.macs()
    with pytest.raises(ConfigError, match="not a solver op"):
        make_matrix(k.ops[0])
