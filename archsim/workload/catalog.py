"""Every operator-workload generator, declared once: its function, parameters, defaults and help.

Three surfaces are derived from :data:`GENERATORS` and nothing else:

- the preset schema (``generator: gemm`` in a workload YAML, :mod:`archsim.workload.presets`),
- the ``archsim trace gen KIND`` commands (:mod:`archsim.workload.ops_cli`),
- the ``workload.<field>`` parameters a sweep may vary (:mod:`archsim.dse.paths`, through the
  preset schema).

A new generator is a function returning a :class:`~archsim.workload.graph.Workload` and one
:class:`Generator` entry below. This module imports no generator code until one runs, so the CLI
starts fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

REQUIRED: Any = ...
DTYPE_HELP = "number format: fp32, fp16, bf16, fp8, int8, int4"


@dataclass(frozen=True)
class Param:
    """One generator parameter, as presets, the CLI and sweeps all see it.

    ``type`` is the value's Python type (int, float, str, bool); ``optional`` lets it be null
    (its default is then None); ``choices`` restricts a string to a list; ``dtype`` makes it a
    number format; ``cli`` False keeps it out of ``trace gen`` (where another option covers it).
    """

    name: str
    type: Any
    default: Any = REQUIRED
    help: str = ""
    optional: bool = False
    choices: tuple[str, ...] = ()
    dtype: bool = False
    cli: bool = True

    @property
    def cli_help(self) -> str:
        if self.choices:
            return f"{', '.join(self.choices[:-1])} or {self.choices[-1]}"
        return self.help


@dataclass(frozen=True)
class Generator:
    """A workload generator: ``target`` is ``module:function`` or the function itself.

    ``post`` offers ``--sparsity`` and ``--group-size`` on the command line: pruning and weight
    quantization applied to the generated workload (presets say ``prune:`` and ``quantize:``).
    """

    name: str
    doc: str
    target: str | Callable[..., Any]
    params: tuple[Param, ...]
    post: bool = False

    def function(self) -> Callable[..., Any]:
        if callable(self.target):
            return self.target
        module, _, attr = self.target.partition(":")
        return getattr(import_module(module), attr)


# -- parameters several generators share ---------------------------------------------------------


def _dtype(default: str) -> Param:
    return Param("dtype", str, default, DTYPE_HELP, dtype=True)


_WEIGHT_DTYPE = Param("weight_dtype", str, None, "weight number format (default: dtype)",
                      optional=True, dtype=True)  # fmt: skip
_KV_DTYPE = Param("kv_dtype", str, None, "KV cache number format", optional=True, dtype=True)
# A sparse weight built by the generator (presets); `trace gen --sparsity` prunes instead.
_SPARSITY = Param("sparsity", float | str, None, "weight sparsity", optional=True, cli=False)
_BIAS = Param("bias", bool, False, "add a bias")


def _solver_tail(tolerance_help: str, seed_help: str) -> tuple[Param, ...]:
    return (
        Param("tolerance", float, 1e-6, tolerance_help),
        Param("seed", int, 0, seed_help),
        _dtype("fp32"),
    )


def _llm(*, unrolled: bool = False, **kwargs: Any) -> Any:
    """``llm_workload`` with the CLI's sense of the flag: unrolled = not compact."""
    from archsim.workload.transformer import llm_workload

    return llm_workload(**kwargs, compact=not unrolled)


# -- the generators --------------------------------------------------------------------------------

GENERATORS: dict[str, Generator] = {
    g.name: g
    for g in (
        Generator("gemm", "A GEMM C = A·Wᵀ of any shape, the weight W stored (n, k).",
                  "archsim.workload.generators:gemm_workload", (
            Param("m", int, help="rows of A and C (tokens)"),
            Param("n", int, help="columns of C (output features)"),
            Param("k", int, help="inner dimension (input features)"),
            Param("batch", int, 1, "independent products stacked as rows"),
            _dtype("fp16"), _WEIGHT_DTYPE, _SPARSITY, _BIAS,
        ), post=True),
        Generator("gemv", "A GEMV y = A·x; the matrix is the stationary weight.",
                  "archsim.workload.generators:gemv_workload", (
            Param("m", int, help="rows of the matrix (outputs)"),
            Param("k", int, help="columns of the matrix (inputs)"),
            Param("batch", int, 1, "vectors, each its own product"),
            _dtype("fp16"), _WEIGHT_DTYPE, _SPARSITY, _BIAS,
        ), post=True),
        Generator("conv", "A 2-D convolution (NCHW), with stride, padding, dilation and groups.",
                  "archsim.workload.generators:conv_workload", (
            Param("in_channels", int, help="input channels"),
            Param("out_channels", int, help="output channels"),
            Param("height", int, help="input height"),
            Param("width", int, None, "input width (default: height)", optional=True),
            Param("kernel", int, 3, "square kernel size"),
            Param("stride", int, 1, "stride"),
            Param("padding", int, None, "padding (default: same)", optional=True),
            Param("groups", int, 1, "groups (= channels for depthwise)"),
            Param("dilation", int, 1, "dilation"),
            Param("batch", int, 1, "images"),
            _dtype("fp16"), _WEIGHT_DTYPE, _SPARSITY, _BIAS,
        ), post=True),
        Generator("attention", "Scaled dot-product attention (GQA, causal, KV cache read and"
                  " append).", "archsim.workload.generators:attention_workload", (
            Param("heads", int, help="query heads"),
            Param("head_dim", int, help="dimension per head"),
            Param("q_len", int, help="query tokens per sequence"),
            Param("kv_len", int, None, "key/value tokens (default q-len)", optional=True),
            Param("kv_heads", int, None, "grouped-query K/V heads", optional=True),
            Param("batch", int, 1, "sequences"),
            Param("causal", bool, False, "causal mask"),
            Param("cache_len", int, 0, "tokens read from a KV cache"),
            _dtype("fp16"), _KV_DTYPE,
        )),
        Generator("llm", "An LLM prefill or decode step with the model's published architecture.",
                  _llm, (
            Param("model", str, help="gpt2, llama2-7b, llama2-13b, llama2-70b, ..."),
            Param("phase", str, "decode", choices=("prefill", "decode")),
            Param("batch", int, 1, "sequences"),
            Param("context", int, 2048, "prompt length (prefill) or cached tokens (decode)"),
            Param("tokens", int, None, "decode: tokens generated (default 1); prefill: new prompt"
                  " tokens", optional=True),
            _dtype("fp16"), _WEIGHT_DTYPE, _KV_DTYPE,
            Param("unrolled", bool, False, "write every layer instead of repeat"),
        ), post=True),
        Generator("encoder", "A transformer encoder: BERT-base over a sequence, or ViT-B/16 over"
                  " an image.", "archsim.workload.transformer:encoder_workload", (
            Param("model", str, help="bert-base or vit-b16"),
            Param("batch", int, 1, "sequences or images"),
            Param("seq", int, 128, "tokens per sequence (BERT)"),
            Param("image", int, None, "image size (ViT, default 224)", optional=True),
            _dtype("fp16"), _WEIGHT_DTYPE,
        ), post=True),
        Generator("cnn", "A CNN: ResNet-50 (v1.5) or MobileNetV2.",
                  "archsim.workload.cnn:cnn_workload", (
            Param("model", str, help="resnet50 or mobilenetv2"),
            Param("batch", int, 1, "images"),
            Param("image", int, 224, "image size"),
            _dtype("fp16"), _WEIGHT_DTYPE,
        ), post=True),
        Generator("solve", "A dense linear solve A·x = b for the closed-loop in-memory solver.",
                  "archsim.workload.solvers:solve_workload", (
            Param("n", int, help="matrix size N (N x N)"),
            Param("matrix_kind", str, "spd", choices=("spd", "diagonally-dominant",
                  "covariance", "toeplitz", "kalman")),
            Param("rhs", int, 1, "right-hand sides"),
            Param("condition", float, None, "condition number (spd)", optional=True),
            *_solver_tail("target relative residual", "seed of the generated matrix"),
        )),
        Generator("regression", "Least-squares or ridge regression (samples x features).",
                  "archsim.workload.solvers:regression_workload", (
            Param("samples", int, help="rows of X"),
            Param("features", int, help="columns of X"),
            Param("ridge", float, 0.0, "L2 penalty (0: least squares)"),
            Param("matrix_kind", str, "gaussian", choices=("gaussian", "correlated")),
            *_solver_tail("target relative residual", "seed of the generated data"),
        )),
        Generator("pagerank", "PageRank: the dominant eigenvector of a generated graph's Google"
                  " matrix.", "archsim.workload.solvers:pagerank_workload", (
            Param("nodes", int, help="graph nodes (matrix size)"),
            Param("damping", float, 0.85, "damping factor"),
            Param("degree", int, 8, "out-links per node"),
            *_solver_tail("convergence tolerance", "seed of the generated graph"),
        )),
        Generator("kalman", "One Kalman-filter predict + update step (the gain from an SPD"
                  " solve).", "archsim.workload.solvers:kalman_workload", (
            Param("states", int, help="state dimension"),
            Param("measurements", int, help="measurement dimension"),
            *_solver_tail("solve tolerance", "seed of the generated model"),
        )),
    )
}  # fmt: skip
