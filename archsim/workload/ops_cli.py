"""Operator-trace commands: ``archsim trace gen gemm|gemv|conv|attention|llm|encoder|cnn|solve|
regression|pagerank|kalman``, ``archsim trace info``, ``archsim trace from-torch|from-onnx``.

Heavy imports (pydantic models, pyarrow, torch, onnx) happen inside the commands. Every user
error is an :class:`ArchsimError`, printed by the CLI as one line.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from archsim.errors import ArchsimError
from archsim.terminal import LazyConsole

out = LazyConsole()

Output = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="write the trace (.jsonl, .jsonl.gz, .yaml or .parquet)"),
]
JsonOut = Annotated[
    str | None, typer.Option("--json", help="write the summary as JSON to PATH, or - for stdout")
]
DType = Annotated[str, typer.Option(help="number format: fp32, fp16, bf16, fp8, int8, int4")]
WeightDType = Annotated[str | None, typer.Option(help="weight number format (default: dtype)")]
Sparsity = Annotated[
    str | None, typer.Option(help="prune weights: a zero ratio such as 0.5, or N:M such as 2:4")
]
GroupSize = Annotated[
    int | None, typer.Option(help="elements per fp16 quantization scale of int/fp8 weights")
]


def _guard(func):
    """Pydantic validation errors become ArchsimError (one line, no traceback)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from pydantic import ValidationError

        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            from archsim.workload.graph import format_errors

            raise ArchsimError(f"invalid input\n{format_errors(exc)}") from None

    return wrapper


def _finish(
    workload,
    output: Path | None,
    json_out: str | None,
    sparsity: str | None = None,
    weight_dtype: str | None = None,
    group_size: int | None = None,
) -> None:
    """Apply pruning/quantization, write the trace, print or emit the summary."""
    from archsim.workload.formats import write_workload
    from archsim.workload.quantize import prune, quantize
    from archsim.workload.summary import summarize, summary_table

    if sparsity is not None:
        workload = prune(workload, _sparsity(sparsity))
    if group_size is not None:
        if weight_dtype not in ("int8", "int4", "fp8"):
            raise ArchsimError("--group-size needs --weight-dtype int8, int4 or fp8")
        workload = quantize(workload, weights=weight_dtype, group_size=group_size)
    if output is not None:
        fmt = write_workload(workload, output)
        if json_out != "-":
            out.print(f"wrote {len(workload.ops):,} ops to {output} ({fmt})")
    summary = summarize(workload)
    if json_out != "-":
        out.print(summary_table(summary))
    _emit_json(summary, json_out)


def _sparsity(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _emit_json(payload: dict, destination: str | None) -> None:
    text = json.dumps(payload, indent=2)
    if destination == "-":
        sys.stdout.write(text + "\n")
    elif destination:
        Path(destination).write_text(text + "\n")


def _shape(text: str, option: str) -> tuple[int, ...]:
    parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise ArchsimError(f"{option}: {text!r} is not a shape such as 1,3,224,224") from None
    if not shape or min(shape) < 1:
        raise ArchsimError(f"{option}: {text!r} needs positive dimensions")
    return shape


# ---------------------------------------------------------------------------------------------
# trace gen
# ---------------------------------------------------------------------------------------------


@_guard
def gen_gemm(
    m: Annotated[int, typer.Option(help="rows of A and C (tokens)")],
    n: Annotated[int, typer.Option(help="columns of C (output features)")],
    k: Annotated[int, typer.Option(help="inner dimension (input features)")],
    batch: Annotated[int, typer.Option(help="independent products stacked as rows")] = 1,
    dtype: DType = "fp16",
    weight_dtype: WeightDType = None,
    sparsity: Sparsity = None,
    group_size: GroupSize = None,
    bias: Annotated[bool, typer.Option(help="add a bias")] = False,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """A GEMM C = A·Wᵀ of any shape, the weight W stored (n, k)."""
    from archsim.workload.generators import gemm_workload

    w = gemm_workload(m, n, k, batch, dtype, weight_dtype, bias=bias)
    _finish(w, output, json_out, sparsity, weight_dtype, group_size)


@_guard
def gen_gemv(
    m: Annotated[int, typer.Option(help="rows of the matrix (outputs)")],
    k: Annotated[int, typer.Option(help="columns of the matrix (inputs)")],
    batch: Annotated[int, typer.Option(help="vectors, each its own product")] = 1,
    dtype: DType = "fp16",
    weight_dtype: WeightDType = None,
    sparsity: Sparsity = None,
    group_size: GroupSize = None,
    bias: Annotated[bool, typer.Option(help="add a bias")] = False,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """A GEMV y = A·x; the matrix is the stationary weight."""
    from archsim.workload.generators import gemv_workload

    w = gemv_workload(m, k, dtype, weight_dtype, bias=bias, batch=batch)
    _finish(w, output, json_out, sparsity, weight_dtype, group_size)


@_guard
def gen_conv(
    in_channels: Annotated[int, typer.Option(help="input channels")],
    out_channels: Annotated[int, typer.Option(help="output channels")],
    height: Annotated[int, typer.Option(help="input height")],
    width: Annotated[int | None, typer.Option(help="input width (default: height)")] = None,
    kernel: Annotated[int, typer.Option(help="square kernel size")] = 3,
    stride: Annotated[int, typer.Option(help="stride")] = 1,
    padding: Annotated[int | None, typer.Option(help="padding (default: same)")] = None,
    groups: Annotated[int, typer.Option(help="groups (= channels for depthwise)")] = 1,
    dilation: Annotated[int, typer.Option(help="dilation")] = 1,
    batch: Annotated[int, typer.Option(help="images")] = 1,
    dtype: DType = "fp16",
    weight_dtype: WeightDType = None,
    sparsity: Sparsity = None,
    group_size: GroupSize = None,
    bias: Annotated[bool, typer.Option(help="add a bias")] = False,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """A 2-D convolution (NCHW), with stride, padding, dilation and groups."""
    from archsim.workload.generators import conv_workload

    w = conv_workload(in_channels, out_channels, height, width, kernel, stride, padding, groups,
                      dilation, batch, dtype, weight_dtype, bias=bias)  # fmt: skip
    _finish(w, output, json_out, sparsity, weight_dtype, group_size)


@_guard
def gen_attention(
    heads: Annotated[int, typer.Option(help="query heads")],
    head_dim: Annotated[int, typer.Option(help="dimension per head")],
    q_len: Annotated[int, typer.Option(help="query tokens per sequence")],
    kv_len: Annotated[int | None, typer.Option(help="key/value tokens (default q-len)")] = None,
    kv_heads: Annotated[int | None, typer.Option(help="grouped-query K/V heads")] = None,
    batch: Annotated[int, typer.Option(help="sequences")] = 1,
    causal: Annotated[bool, typer.Option(help="causal mask")] = False,
    cache_len: Annotated[int, typer.Option(help="tokens read from a KV cache")] = 0,
    dtype: DType = "fp16",
    kv_dtype: Annotated[str | None, typer.Option(help="KV cache number format")] = None,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """Scaled dot-product attention (GQA, causal, KV cache read and append)."""
    from archsim.workload.generators import attention_workload

    w = attention_workload(heads, head_dim, q_len, kv_len, kv_heads, batch, causal, cache_len,
                           dtype, kv_dtype)  # fmt: skip
    _finish(w, output, json_out)


@_guard
def gen_llm(
    model: Annotated[str, typer.Option(help="gpt2, llama2-7b, llama2-13b, llama2-70b, ...")],
    phase: Annotated[str, typer.Option(help="prefill or decode")] = "decode",
    batch: Annotated[int, typer.Option(help="sequences")] = 1,
    context: Annotated[
        int, typer.Option(help="prompt length (prefill) or cached tokens (decode)")
    ] = 2048,
    tokens: Annotated[
        int | None,
        typer.Option(help="decode: tokens generated (default 1); prefill: new prompt tokens"),
    ] = None,
    dtype: DType = "fp16",
    weight_dtype: WeightDType = None,
    kv_dtype: Annotated[str | None, typer.Option(help="KV cache number format")] = None,
    sparsity: Sparsity = None,
    group_size: GroupSize = None,
    unrolled: Annotated[bool, typer.Option(help="write every layer instead of repeat")] = False,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """An LLM prefill or decode step with the model's published architecture."""
    from archsim.workload.transformer import llm_workload

    w = llm_workload(model, phase, batch, context, tokens, dtype, weight_dtype, kv_dtype,  # type: ignore[arg-type]
                     compact=not unrolled)  # fmt: skip
    _finish(w, output, json_out, sparsity, weight_dtype, group_size)


@_guard
def gen_encoder(
    model: Annotated[str, typer.Option(help="bert-base or vit-b16")],
    batch: Annotated[int, typer.Option(help="sequences or images")] = 1,
    seq: Annotated[int, typer.Option(help="tokens per sequence (BERT)")] = 128,
    image: Annotated[int | None, typer.Option(help="image size (ViT, default 224)")] = None,
    dtype: DType = "fp16",
    weight_dtype: WeightDType = None,
    sparsity: Sparsity = None,
    group_size: GroupSize = None,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """A transformer encoder: BERT-base over a sequence, or ViT-B/16 over an image."""
    from archsim.workload.transformer import encoder_workload

    w = encoder_workload(model, batch, seq, image, dtype, weight_dtype)
    _finish(w, output, json_out, sparsity, weight_dtype, group_size)


@_guard
def gen_cnn(
    model: Annotated[str, typer.Option(help="resnet50 or mobilenetv2")],
    batch: Annotated[int, typer.Option(help="images")] = 1,
    image: Annotated[int, typer.Option(help="image size")] = 224,
    dtype: DType = "fp16",
    weight_dtype: WeightDType = None,
    sparsity: Sparsity = None,
    group_size: GroupSize = None,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """A CNN: ResNet-50 (v1.5) or MobileNetV2."""
    from archsim.workload.cnn import cnn_workload

    w = cnn_workload(model, batch, image, dtype, weight_dtype)
    _finish(w, output, json_out, sparsity, weight_dtype, group_size)


@_guard
def gen_solve(
    n: Annotated[int, typer.Option(help="matrix size N (N x N)")],
    matrix_kind: Annotated[
        str, typer.Option(help="spd, diagonally-dominant, covariance, toeplitz or kalman")
    ] = "spd",
    rhs: Annotated[int, typer.Option(help="right-hand sides")] = 1,
    tolerance: Annotated[float, typer.Option(help="target relative residual")] = 1e-6,
    seed: Annotated[int, typer.Option(help="seed of the generated matrix")] = 0,
    condition: Annotated[float | None, typer.Option(help="condition number (spd)")] = None,
    dtype: DType = "fp32",
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """A dense linear solve A·x = b for the closed-loop in-memory solver."""
    from archsim.workload.solvers import solve_workload

    w = solve_workload(n, matrix_kind, rhs, tolerance, seed, condition, dtype)
    _finish(w, output, json_out)


@_guard
def gen_regression(
    samples: Annotated[int, typer.Option(help="rows of X")],
    features: Annotated[int, typer.Option(help="columns of X")],
    ridge: Annotated[float, typer.Option(help="L2 penalty (0: least squares)")] = 0.0,
    matrix_kind: Annotated[str, typer.Option(help="gaussian or correlated")] = "gaussian",
    tolerance: Annotated[float, typer.Option(help="target relative residual")] = 1e-6,
    seed: Annotated[int, typer.Option(help="seed of the generated data")] = 0,
    dtype: DType = "fp32",
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """Least-squares or ridge regression (samples x features)."""
    from archsim.workload.solvers import regression_workload

    w = regression_workload(samples, features, ridge, matrix_kind, tolerance, seed, dtype)
    _finish(w, output, json_out)


@_guard
def gen_pagerank(
    nodes: Annotated[int, typer.Option(help="graph nodes (matrix size)")],
    damping: Annotated[float, typer.Option(help="damping factor")] = 0.85,
    degree: Annotated[int, typer.Option(help="out-links per node")] = 8,
    tolerance: Annotated[float, typer.Option(help="convergence tolerance")] = 1e-6,
    seed: Annotated[int, typer.Option(help="seed of the generated graph")] = 0,
    dtype: DType = "fp32",
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """PageRank: the dominant eigenvector of a generated graph's Google matrix."""
    from archsim.workload.solvers import pagerank_workload

    w = pagerank_workload(nodes, damping, degree, tolerance, seed, dtype)
    _finish(w, output, json_out)


@_guard
def gen_kalman(
    states: Annotated[int, typer.Option(help="state dimension")],
    measurements: Annotated[int, typer.Option(help="measurement dimension")],
    tolerance: Annotated[float, typer.Option(help="solve tolerance")] = 1e-6,
    seed: Annotated[int, typer.Option(help="seed of the generated model")] = 0,
    dtype: DType = "fp32",
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """One Kalman-filter predict + update step (the gain from an SPD solve)."""
    from archsim.workload.solvers import kalman_workload

    w = kalman_workload(states, measurements, tolerance, seed, dtype)
    _finish(w, output, json_out)


# ---------------------------------------------------------------------------------------------
# trace info / from-torch / from-onnx
# ---------------------------------------------------------------------------------------------


@_guard
def info(
    trace: Annotated[
        str,
        typer.Argument(help="operator or memory trace file, workload preset, or sample trace"),
    ],
    json_out: JsonOut = None,
) -> None:
    """Summarize a trace: ops, params, MACs, FLOPs, bytes, intensity; or memory requests."""
    from archsim.workload.summary import summarize_any, summary_table

    summary = summarize_any(trace)
    if json_out != "-":
        out.print(summary_table(summary))
    _emit_json(summary, json_out)


@_guard
def from_torch(
    factory: Annotated[str, typer.Argument(help="module.py:factory returning an nn.Module")],
    input_shape: Annotated[
        list[str], typer.Option(help="shape of each example input, e.g. 1,3,224,224 (repeat)")
    ],
    input_dtype: Annotated[str, typer.Option(help="torch dtype of the inputs")] = "float32",
    dtype: Annotated[
        str | None, typer.Option(help="number format for every tensor (default: the module's)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="workload name")] = None,
    skip_unsupported: Annotated[
        bool, typer.Option(help="import the rest when an op is unsupported (listed in notes)")
    ] = False,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """Capture a PyTorch module with torch.export and write its operator trace."""
    from archsim.workload.torch_import import example_inputs, import_torch, load_factory

    shapes = [_shape(s, "--input-shape") for s in input_shape]
    build = load_factory(factory)
    try:
        module = build()
    except Exception as exc:
        raise ArchsimError(f"{factory}: calling it failed: {type(exc).__name__}: {exc}") from None
    _check_dtype(dtype)
    w = import_torch(module, example_inputs(shapes, input_dtype), name=name, dtype=dtype,
                     skip_unsupported=skip_unsupported)  # fmt: skip
    _finish(w, output, json_out)


@_guard
def from_onnx(
    model: Annotated[Path, typer.Argument(help="ONNX model file")],
    input_shape: Annotated[
        list[str] | None,
        typer.Option(help="NAME=1,3,224,224 for symbolic input dimensions (repeat); default 1"),
    ] = None,
    dtype: Annotated[
        str | None, typer.Option(help="number format for every tensor (default: the model's)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="workload name")] = None,
    skip_unsupported: Annotated[
        bool, typer.Option(help="import the rest when an op is unsupported (listed in notes)")
    ] = False,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """Convert an ONNX model into an operator trace (shapes inferred)."""
    from archsim.workload.onnx_import import import_onnx

    shapes: dict[str, Any] = {}
    for item in input_shape or []:
        if "=" not in item:
            raise ArchsimError(f"--input-shape: {item!r} must read NAME=1,3,224,224")
        key, _, value = item.partition("=")
        shapes[key.strip()] = _shape(value, "--input-shape")
    _check_dtype(dtype)
    w = import_onnx(model, name=name, input_shapes=shapes, dtype=dtype,
                    skip_unsupported=skip_unsupported)  # fmt: skip
    _finish(w, output, json_out)


def _check_dtype(dtype: str | None) -> None:
    from archsim.workload.tensor import DTYPES

    if dtype is not None and dtype not in DTYPES:
        raise ArchsimError(f"--dtype: {dtype!r} is not one of {', '.join(DTYPES)}")


GEN_COMMANDS = {
    "gemm": gen_gemm, "gemv": gen_gemv, "conv": gen_conv, "attention": gen_attention,
    "llm": gen_llm, "encoder": gen_encoder, "cnn": gen_cnn, "solve": gen_solve,
    "regression": gen_regression, "pagerank": gen_pagerank, "kalman": gen_kalman,
}  # fmt: skip


def register(trace_app: typer.Typer, gen_app: typer.Typer) -> None:
    """Add the operator-trace commands to ``archsim trace`` and ``archsim trace gen``."""
    for name, func in GEN_COMMANDS.items():
        gen_app.command(name)(func)
    trace_app.command("info")(info)
    trace_app.command("from-torch")(from_torch)
    trace_app.command("from-onnx")(from_onnx)
