"""Operator accounting against hand formulas, tensor storage, and graph validation errors."""

from __future__ import annotations

import math

import pytest

from archsim.errors import ConfigError
from archsim.workload.builder import GraphBuilder
from archsim.workload.generators import (
    attention_workload,
    conv_workload,
    gemm_workload,
    gemv_workload,
)
from archsim.workload.graph import build_workload
from archsim.workload.ops import (
    AttentionOp,
    EigenOp,
    EltwiseOp,
    NormOp,
    ReduceOp,
    RegressionOp,
    SoftmaxOp,
    SolveOp,
)
from archsim.workload.tensor import Tensor


def _sum_view(op) -> int:
    return sum(c * m * n * k for c, m, n, k in op.gemm_view())


# -- tensors ----------------------------------------------------------------------------------


def test_tensor_bytes_dense_and_dtypes():
    t = Tensor(name="w", shape=(4096, 1024), dtype="fp16", role="weight")
    assert t.elements == 4096 * 1024
    assert t.bits_per_element == 16
    assert t.dense_bytes == t.stored_bytes == 4096 * 1024 * 2
    assert Tensor(name="w", shape=(3, 5), dtype="int4").stored_bytes == 8  # ceil(60 bits / 8)
    assert Tensor(name="w", shape=(10,), dtype="fp8").dense_bytes == 10


def test_tensor_sparse_storage_counts_index_overhead():
    bitmap = Tensor(name="w", shape=(64, 128), dtype="int8", role="weight", sparsity=0.75)
    nnz = 64 * 128 // 4
    assert bitmap.nonzeros == nnz
    assert bitmap.stored_bytes == nnz + 64 * 128 // 8  # values + one mask bit per element
    csr = Tensor(name="w", shape=(64, 128), dtype="int8", sparsity={"ratio": 0.75, "format": "csr"})
    assert csr.stored_bytes == nnz + nnz * 2 + (64 + 1) * 4  # values + 16-bit cols + row ptrs
    nm = Tensor(name="w", shape=(64, 128), dtype="fp16", sparsity="2:4")
    assert nm.nonzeros == 64 * 128 // 2
    assert nm.stored_bytes == nm.nonzeros * 2 + nm.nonzeros * 2 // 8  # 2 metadata bits each
    assert Tensor(name="w", shape=(8,), sparsity=0.5).sparsity.kind == "unstructured"


def test_tensor_quant_group_scales():
    t = Tensor(name="w", shape=(4096, 4096), dtype="int4", quant_group=128)
    assert t.stored_bytes == 4096 * 4096 // 2 + 4096 * 4096 // 128 * 2


@pytest.mark.parametrize(
    "fields, match",
    [
        ({"shape": (4, 0)}, "dimension 1 is 0"),
        ({"shape": (4, 6), "sparsity": "2:4"}, "multiple of 4"),
        ({"shape": (4,), "sparsity": "4:4"}, "below m"),
        ({"shape": (4,), "sparsity": "x:y"}, "N:M"),
        ({"shape": (4,), "dtype": "fp64"}, "dtype"),
    ],
)
def test_tensor_rejects_bad_fields(fields, match):
    with pytest.raises(ValueError, match=match):
        Tensor(name="t", **fields)


# -- matrix products --------------------------------------------------------------------------


def test_gemm_accounting():
    w = gemm_workload(m=32, n=64, k=128, dtype="fp16", bias=True)
    op = w.ops[0]
    assert op.macs() == 32 * 64 * 128
    assert op.flops() == 2 * 32 * 64 * 128 + 32 * 64
    assert op.gemm_view() == [(1, 32, 64, 128)]
    assert op.bytes_read(w) == {"a": 32 * 128 * 2, "w": 64 * 128 * 2, "bias": 64 * 2}
    assert op.bytes_written(w) == {"c": 32 * 64 * 2}
    moved = 2 * (32 * 128 + 64 * 128 + 64 + 32 * 64)
    assert op.intensity(w) == pytest.approx(op.flops() / moved)
    totals = w.totals()
    assert totals.params == 64 * 128 + 64
    assert totals.weight_bytes == (64 * 128 + 64) * 2
    assert totals.activation_bytes == (32 * 128 + 32 * 64) * 2


def test_gemv_accounting_and_view():
    w = gemv_workload(m=4096, k=1024, dtype="int8")
    op = w.ops[0]
    assert op.macs() == 4096 * 1024
    assert op.gemm_view() == [(1, 4096, 1, 1024)]
    assert op.bytes_read(w) == {"a": 4096 * 1024, "x": 1024}
    assert w.totals().weight_bytes == 4096 * 1024


def test_sparse_weight_reduces_macs_exactly():
    w = gemm_workload(m=8, n=16, k=32, sparsity="2:4")
    assert w.ops[0].weight_nonzeros == 16 * 32 // 2
    assert w.totals().macs == 8 * 16 * 32 // 2
    u = gemv_workload(m=100, k=10, sparsity=0.3)
    assert u.totals().macs == round(1000 * 0.7)


def test_conv_im2col_and_groups():
    w = conv_workload(in_channels=32, out_channels=64, height=28, kernel=3, stride=2, groups=4)
    op = w.ops[0]
    oh = (28 + 2 - 3) // 2 + 1
    assert (op.out_height, op.out_width) == (oh, oh)
    assert op.macs() == oh * oh * 64 * (32 // 4) * 9
    assert op.gemm_view() == [(4, oh * oh, 16, 8 * 9)]
    assert _sum_view(op) == op.macs()
    depthwise = conv_workload(in_channels=96, out_channels=96, height=14, groups=96).ops[0]
    assert depthwise.macs() == 14 * 14 * 96 * 9


@pytest.mark.parametrize("q,kv", [(1, 1), (1, 100), (7, 10), (128, 128), (100, 1000), (33, 33)])
@pytest.mark.parametrize("causal", [False, True])
def test_attention_exact_pairs_and_view(q, kv, causal):
    op = AttentionOp(name="a", inputs=["q", "k", "v"], outputs=["o"], batch=2, heads=8,
                     kv_heads=2, head_dim=16, q_len=q, kv_len=kv, causal=causal)  # fmt: skip
    pairs = sum(min(kv, kv - q + i + 1) for i in range(q)) if causal else q * kv
    assert op.pairs() == pairs
    assert op.macs() == 2 * 2 * 8 * 16 * pairs
    assert _sum_view(op) == op.macs()
    assert len(op.gemm_view()) <= 4 * (math.log2(q) + 2) + 2


def test_attention_kv_cache_read_and_append():
    w = attention_workload(heads=32, head_dim=128, q_len=1, kv_len=2049, cache_len=2048,
                           causal=True, kv_heads=8)  # fmt: skip
    op = w.ops[0]
    per_token = 8 * 128 * 2
    reads = op.bytes_read(w)
    assert reads["k_cache"] == reads["v_cache"] == 2048 * per_token
    writes = op.bytes_written(w)
    assert writes["k_cache"] == writes["v_cache"] == per_token
    assert op.macs() == 2 * 32 * 128 * 2049
    assert w.totals().kv_cache_bytes == 2 * 2049 * per_token


def test_elementwise_norm_softmax_reduce_flops():
    assert (
        EltwiseOp(name="e", inputs=["a", "b"], outputs=["c"], op="add", elements=10).flops() == 10
    )
    assert EltwiseOp(name="e", inputs=["a"], outputs=["c"], op="gelu", elements=10).flops() == 80
    assert NormOp(name="n", inputs=["x", "g"], outputs=["y"], norm="rms", elements=64,
                  channels=16).flops() == 4 * 64  # fmt: skip
    assert SoftmaxOp(name="s", inputs=["x"], outputs=["y"], elements=12, axis_size=4).flops() == 60
    pool = ReduceOp(name="r", inputs=["x"], outputs=["y"], op="max", in_elements=100,
                    out_elements=25, window=9)  # fmt: skip
    assert pool.flops() == 225
    for op in (pool, SoftmaxOp(name="s", inputs=["x"], outputs=["y"], elements=4, axis_size=4)):
        assert op.macs() == 0 and op.gemm_view() == []


def test_solver_op_counts():
    n = 10
    spd = SolveOp(name="s", inputs=["A", "b"], outputs=["x"], n=n, matrix_kind="spd")
    assert spd.macs() == (n**3 - n) // 6 + n * (n - 1)
    lu = SolveOp(name="s", inputs=["A", "b"], outputs=["x"], n=n, rhs=3,
                 matrix_kind="diagonally-dominant")  # fmt: skip
    assert lu.macs() == sum((n - k - 1) ** 2 for k in range(n)) + 3 * n * (n - 1)
    reg = RegressionOp(name="r", inputs=["X", "y"], outputs=["w"], samples=50, features=4)
    assert reg.n == 4
    assert reg.macs() == 50 * 4 * 5 // 2 + 50 * 4 + (64 - 4) // 6 + 12
    eig = EigenOp(name="e", inputs=["A"], outputs=["v"], n=20, iterations=30)
    assert eig.macs() == 30 * 400 and eig.gemm_view() == [(30, 20, 1, 20)]


# -- graph validation -------------------------------------------------------------------------


def _graph(ops, tensors):
    return build_workload({"name": "g", "tensors": tensors, "ops": ops})


def test_gemm_inner_dimension_mismatch_names_op_and_field():
    tensors = {"a": {"shape": [4, 8], "role": "input"}, "w": {"shape": [8, 16], "role": "weight"},
               "c": {"shape": [4, 16], "role": "output"}}  # fmt: skip
    ops = [{"kind": "gemm", "name": "proj", "inputs": ["a", "w"], "outputs": ["c"], "m": 4,
            "n": 16, "k": 9}]  # fmt: skip
    with pytest.raises(ConfigError, match=r"op 'proj' \(gemm\): inputs\[0\].*inner dimensions"):
        _graph(ops, tensors)


def test_non_positive_dimension_names_op_and_field():
    ops = [{"kind": "gemm", "name": "proj", "inputs": ["a", "w"], "outputs": ["c"], "m": 0,
            "n": 16, "k": 8}]  # fmt: skip
    with pytest.raises(ConfigError, match=r"ops\[0\] 'proj' \(gemm\)\.m"):
        _graph(ops, {})


def test_heads_must_divide():
    with pytest.raises(ValueError, match="kv_heads: 3 does not divide heads"):
        AttentionOp(name="a", inputs=["q", "k", "v"], outputs=["o"], heads=8, kv_heads=3,
                    head_dim=4, q_len=1, kv_len=1)  # fmt: skip


def test_cycle_is_reported_with_op_names():
    tensors = {"x": {"shape": [4]}, "y": {"shape": [4]}}
    ops = [
        {"kind": "eltwise", "name": "first", "inputs": ["y"], "outputs": ["x"], "op": "relu",
         "elements": 4},
        {"kind": "eltwise", "name": "second", "inputs": ["x"], "outputs": ["y"], "op": "relu",
         "elements": 4},
    ]  # fmt: skip
    with pytest.raises(ConfigError, match=r"cyclic dependency: .*'first'.*'second'"):
        _graph(ops, tensors)


def test_dangling_tensors_are_rejected():
    ops = [{"kind": "eltwise", "name": "act", "inputs": ["x"], "outputs": ["y"], "op": "relu",
            "elements": 4}]  # fmt: skip
    with pytest.raises(ConfigError, match=r"op 'act' \(eltwise\): inputs\[0\] names tensor 'x'"):
        _graph(ops, {"y": {"shape": [4]}})
    with pytest.raises(ConfigError, match="'x' is an activation tensor that no op produces"):
        _graph(ops, {"x": {"shape": [4]}, "y": {"shape": [4]}})
    with pytest.raises(ConfigError, match="'z' is declared but no op uses it"):
        _graph(ops, {"x": {"shape": [4], "role": "input"}, "y": {"shape": [4]},
                     "z": {"shape": [1]}})  # fmt: skip


def test_order_and_producers():
    t = {"x": {"shape": [4], "role": "input"}, "y": {"shape": [4]}, "z": {"shape": [4]}}
    relu = {"kind": "eltwise", "op": "relu", "elements": 4}
    with pytest.raises(ConfigError, match="topological order"):
        _graph([{**relu, "name": "b", "inputs": ["y"], "outputs": ["z"]},
                {**relu, "name": "a", "inputs": ["x"], "outputs": ["y"]}], t)  # fmt: skip
    with pytest.raises(ConfigError, match="already produced"):
        _graph([{**relu, "name": "a", "inputs": ["x"], "outputs": ["y"]},
                {**relu, "name": "b", "inputs": ["x"], "outputs": ["y"]},
                {**relu, "name": "c", "inputs": ["y"], "outputs": ["z"]}], t)  # fmt: skip
    with pytest.raises(ConfigError, match="already used"):
        _graph([{**relu, "name": "a", "inputs": ["x"], "outputs": ["y"]},
                {**relu, "name": "a", "inputs": ["y"], "outputs": ["z"]}], t)  # fmt: skip


def test_repeat_and_copies_keep_totals_exact():
    b = GraphBuilder("r")
    b.tensor("x", (4, 8), role="input")
    b.tensor("w", (8, 8), role="weight", copies=3)
    b.tensor("y", (4, 8))
    b.op(__import__("archsim.workload.ops", fromlist=["GemmOp"]).GemmOp, "mm", ["x", "w"], ["y"],
         m=4, n=8, k=8, transpose_b=True, repeat=3)  # fmt: skip
    w = b.build()
    totals = w.totals()
    assert totals.params == 3 * 64
    assert totals.macs == 3 * 4 * 8 * 8
    assert totals.activation_bytes == (32 + 3 * 32) * 2
    bad = GraphBuilder("r")
    bad.tensor("x", (4, 8), role="input")
    bad.tensor("w", (8, 8), role="weight", copies=2)
    bad.tensor("y", (4, 8))
    bad.op(type(w.ops[0]), "mm", ["x", "w"], ["y"], m=4, n=8, k=8, transpose_b=True, repeat=3)
    with pytest.raises(ConfigError, match="repeat 3 does not match the 2 copies"):
        bad.build()
