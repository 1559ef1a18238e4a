"""Single-kernel workloads: GEMM, GEMV, 2-D convolution, attention, of any shape and dtype."""

from __future__ import annotations

from archsim.errors import ConfigError
from archsim.workload.builder import GraphBuilder
from archsim.workload.graph import Workload
from archsim.workload.ops import AttentionOp, Conv2dOp, GemmOp, GemvOp
from archsim.workload.tensor import DTYPES


def check_positive(what: str, **values: int | None) -> None:
    for field, value in values.items():
        if value is not None and value < 1:
            raise ConfigError(f"{what}: {field} must be at least 1, got {value}")


def check_dtypes(**values: str | None) -> None:
    for field, value in values.items():
        if value is not None and value not in DTYPES:
            raise ConfigError(f"{field}: {value!r} is not one of {', '.join(DTYPES)}")


def gemm_workload(
    m: int,
    n: int,
    k: int,
    batch: int = 1,
    dtype: str = "fp16",
    weight_dtype: str | None = None,
    sparsity: float | str | None = None,
    bias: bool = False,
    name: str | None = None,
) -> Workload:
    """``C[batch·m, n] = A[batch·m, k] · Wᵀ`` with a weight W stored (n, k)."""
    check_positive("gemm", m=m, n=n, k=k, batch=batch)
    check_dtypes(dtype=dtype, weight_dtype=weight_dtype)
    b = GraphBuilder(name or f"gemm-{m}x{n}x{k}-{dtype}", dtype)
    a = b.tensor("a", (batch * m, k), role="input")
    w = b.tensor("w", (n, k), role="weight", dtype=weight_dtype or dtype, sparsity=sparsity)
    inputs = [a, w] + ([b.tensor("bias", (n,), role="weight")] if bias else [])
    c = b.tensor("c", (batch * m, n), role="output")
    b.op(GemmOp, "gemm", inputs, [c], m=batch * m, n=n, k=k, transpose_b=True)
    return b.build()


def gemv_workload(
    m: int,
    k: int,
    dtype: str = "fp16",
    weight_dtype: str | None = None,
    sparsity: float | str | None = None,
    bias: bool = False,
    batch: int = 1,
    name: str | None = None,
) -> Workload:
    """``y[m] = A[m, k] · x[k]``: the matrix is the (stationary) weight."""
    check_positive("gemv", m=m, k=k, batch=batch)
    check_dtypes(dtype=dtype, weight_dtype=weight_dtype)
    b = GraphBuilder(name or f"gemv-{m}x{k}-{dtype}", dtype)
    a = b.tensor("a", (m, k), role="weight", dtype=weight_dtype or dtype, sparsity=sparsity)
    x = b.tensor("x", (batch, k), role="input")
    inputs = [a, x] + ([b.tensor("bias", (m,), role="weight")] if bias else [])
    y = b.tensor("y", (batch, m), role="output")
    b.op(GemvOp, "gemv", inputs, [y], m=m, k=k, batch=batch)
    return b.build()


def conv_workload(
    in_channels: int,
    out_channels: int,
    height: int,
    width: int | None = None,
    kernel: int = 3,
    stride: int = 1,
    padding: int | None = None,
    groups: int = 1,
    dilation: int = 1,
    batch: int = 1,
    dtype: str = "fp16",
    weight_dtype: str | None = None,
    sparsity: float | str | None = None,
    bias: bool = False,
    name: str | None = None,
) -> Workload:
    """One 2-D convolution, NCHW; ``padding`` defaults to "same" for odd kernels."""
    width = height if width is None else width
    check_positive("conv", in_channels=in_channels, out_channels=out_channels, height=height,
                   width=width, kernel=kernel, stride=stride, groups=groups, dilation=dilation,
                   batch=batch)  # fmt: skip
    check_dtypes(dtype=dtype, weight_dtype=weight_dtype)
    pad = kernel // 2 * dilation if padding is None else padding
    for field, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % groups:
            raise ConfigError(f"conv: groups ({groups}) does not divide {field} ({channels})")
    b = GraphBuilder(name or f"conv-{in_channels}x{out_channels}-k{kernel}-{height}x{width}", dtype)
    geometry = dict(batch=batch, in_channels=in_channels, out_channels=out_channels,
                    height=height, width=width, kernel=kernel, stride=stride, padding=pad,
                    groups=groups, dilation=dilation)  # fmt: skip
    probe = b.op(Conv2dOp, "conv", ["x", "w"], ["y"], **geometry)
    b.ops.clear()
    x = b.tensor("x", (batch, in_channels, height, width), role="input")
    w = b.tensor(
        "w",
        (out_channels, in_channels // groups, kernel, kernel),
        role="weight",
        dtype=weight_dtype or dtype,
        sparsity=sparsity,
    )
    inputs = [x, w] + ([b.tensor("bias", (out_channels,), role="weight")] if bias else [])
    y = b.tensor("y", (batch, out_channels, probe.out_height, probe.out_width), role="output")
    b.op(Conv2dOp, "conv", inputs, [y], **geometry)
    return b.build()


def attention_workload(
    heads: int,
    head_dim: int,
    q_len: int,
    kv_len: int | None = None,
    kv_heads: int | None = None,
    batch: int = 1,
    causal: bool = False,
    cache_len: int = 0,
    dtype: str = "fp16",
    kv_dtype: str | None = None,
    name: str | None = None,
) -> Workload:
    """One attention op; with ``cache_len`` > 0 it reads a KV cache and appends the new tokens."""
    kv_len = q_len if kv_len is None else kv_len
    check_positive("attention", heads=heads, head_dim=head_dim, q_len=q_len, kv_len=kv_len,
                   kv_heads=kv_heads, batch=batch)  # fmt: skip
    check_dtypes(dtype=dtype, kv_dtype=kv_dtype)
    kvh = kv_heads or heads
    if heads % kvh:
        raise ConfigError(f"attention: kv_heads ({kvh}) does not divide heads ({heads})")
    if not 0 <= cache_len < kv_len:
        raise ConfigError(f"attention: cache_len ({cache_len}) must be in [0, kv_len={kv_len})")
    new = kv_len - cache_len
    b = GraphBuilder(name or f"attention-h{heads}x{head_dim}-q{q_len}-kv{kv_len}", dtype)
    q = b.tensor("q", (batch, heads, q_len, head_dim), role="input")
    k = b.tensor("k", (batch, kvh, new, head_dim), role="input")
    v = b.tensor("v", (batch, kvh, new, head_dim), role="input")
    inputs = [q, k, v]
    if cache_len:
        for c in ("k_cache", "v_cache"):
            inputs.append(
                b.tensor(
                    c, (batch, kvh, kv_len, head_dim), role="kv_cache", dtype=kv_dtype or dtype
                )
            )
    o = b.tensor("o", (batch, heads, q_len, head_dim), role="output")
    b.op(
        AttentionOp,
        "attention",
        inputs,
        [o],
        batch=batch,
        heads=heads,
        kv_heads=kvh,
        head_dim=head_dim,
        q_len=q_len,
        kv_len=kv_len,
        causal=causal,
        cache_len=cache_len,
        append=bool(cache_len),
    )
    return b.build()
