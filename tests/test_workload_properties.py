"""Property tests: any valid generated graph has consistent shapes and non-negative totals."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archsim.workload.generators import (
    attention_workload,
    conv_workload,
    gemm_workload,
    gemv_workload,
)
from archsim.workload.graph import Workload
from archsim.workload.models import TransformerSpec
from archsim.workload.quantize import prune, quantize
from archsim.workload.summary import summarize
from archsim.workload.transformer import llm_workload

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
dims = st.integers(1, 64)
dtypes = st.sampled_from(["fp32", "fp16", "bf16", "fp8", "int8", "int4"])


def _check(w: Workload) -> None:
    # Re-validating from a plain dump re-runs every shape and graph check.
    again = Workload.model_validate(w.model_dump())
    assert again.totals() == w.totals()
    totals = w.totals()
    for value in totals.model_dump().values():
        assert value >= 0
    assert totals.flops >= 2 * totals.macs
    for op in w.ops:
        assert op.macs() >= 0 and op.flops() >= 0 and op.intensity(w) >= 0
        assert all(v >= 0 for v in op.bytes_read(w).values())
        assert all(v >= 0 for v in op.bytes_written(w).values())
        if op.kind in ("gemm", "gemv", "conv2d") and op.weight_nonzeros is None:
            assert sum(c * m * n * k for c, m, n, k in op.gemm_view()) == op.macs()
        if op.kind == "attention":
            assert sum(c * m * n * k for c, m, n, k in op.gemm_view()) == op.macs()
    summary = summarize(w)
    assert sum(row["ops"] for row in summary["intensity_histogram"]) == summary["executed_ops"]


@SETTINGS
@given(m=dims, n=dims, k=dims, batch=st.integers(1, 4), dtype=dtypes, bias=st.booleans(),
       sparsity=st.sampled_from([None, 0.0, 0.5, 0.9, "1:2", "2:4"]))  # fmt: skip
def test_gemm_graphs(m, n, k, batch, dtype, bias, sparsity):
    if isinstance(sparsity, str) and k % int(sparsity.split(":")[1]):
        sparsity = None
    _check(gemm_workload(m, n, k, batch, dtype, bias=bias, sparsity=sparsity))
    _check(gemv_workload(m, k, dtype, bias=bias))


@SETTINGS
@given(cin=st.integers(1, 8), cout=st.integers(1, 8), size=st.integers(3, 20),
       kernel=st.sampled_from([1, 3, 5]), stride=st.integers(1, 3), groups=st.integers(1, 4),
       dilation=st.integers(1, 2), batch=st.integers(1, 3))  # fmt: skip
def test_conv_graphs(cin, cout, size, kernel, stride, groups, dilation, batch):
    cin, cout = cin * groups, cout * groups
    if dilation * (kernel - 1) + 1 > size + 2 * (kernel // 2 * dilation):
        return
    _check(conv_workload(cin, cout, size, None, kernel, stride, None, groups, dilation, batch))


@SETTINGS
@given(kvh=st.integers(1, 4), group=st.integers(1, 4), hd=st.integers(1, 32),
       q=st.integers(1, 40), extra=st.integers(0, 40), cache=st.integers(0, 40),
       causal=st.booleans(), batch=st.integers(1, 3))  # fmt: skip
def test_attention_graphs(kvh, group, hd, q, extra, cache, causal, batch):
    kv = q + extra
    cache = min(cache, kv - 1)
    _check(attention_workload(kvh * group, hd, q, kv, kvh, batch, causal, cache))


@st.composite
def transformer_specs(draw):
    heads = draw(st.integers(1, 4))
    kv_heads = draw(st.sampled_from([h for h in range(1, heads + 1) if heads % h == 0]))
    head_dim = draw(st.integers(1, 8))
    learned = draw(st.booleans())
    return TransformerSpec(
        name="random", arch="decoder", layers=draw(st.integers(1, 3)), hidden=heads * head_dim,
        heads=heads, kv_heads=kv_heads, intermediate=draw(st.integers(1, 32)),
        vocab=draw(st.integers(2, 64)), mlp=draw(st.sampled_from(["gelu", "relu", "swiglu"])),
        norm=draw(st.sampled_from(["layer", "rms"])),
        positions="learned" if learned else "rotary", max_positions=64,
        bias=draw(st.booleans()), tied_embeddings=draw(st.booleans()),
    )  # fmt: skip


@SETTINGS
@given(spec=transformer_specs(), phase=st.sampled_from(["prefill", "decode"]),
       batch=st.integers(1, 3), context=st.integers(1, 20), tokens=st.integers(1, 3),
       dtype=dtypes)  # fmt: skip
def test_llm_graphs_compact_equals_unrolled(spec, phase, batch, context, tokens, dtype):
    tokens = min(tokens, context) if phase == "prefill" else tokens
    compact = llm_workload(spec, phase, batch, context, tokens, dtype)
    _check(compact)
    unrolled = llm_workload(spec, phase, batch, context, tokens, dtype, compact=False)
    assert unrolled.totals() == compact.totals()


@SETTINGS
@given(spec=transformer_specs(), sparsity=st.sampled_from([0.25, 0.5, "1:2"]),
       weights=st.sampled_from(["int8", "int4", "fp8"]))  # fmt: skip
def test_passes_keep_graphs_valid_and_shrink(spec, sparsity, weights):
    base = llm_workload(spec, "decode", 1, 8)
    pruned = prune(base, sparsity)
    _check(pruned)
    assert pruned.totals().macs <= base.totals().macs
    q = quantize(base, weights=weights)
    _check(q)
    assert q.totals().weight_bytes <= base.totals().weight_bytes
