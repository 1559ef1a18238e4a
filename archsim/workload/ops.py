"""Operators of an operator trace: what each computes, and the bytes it moves.

Every operator carries its own dimensions, so ``macs()``, ``flops()`` and ``gemm_view()`` need
no workload; the workload checks that the dimensions agree with the shapes of the tensors the
operator names (see :mod:`archsim.workload.graph`). ``bytes_read`` and ``bytes_written`` are the
compulsory traffic of one execution: each operand once, compressed size when sparse. How often a
mapping re-reads an operand is the mapper's business, not the trace's.

Counting conventions (one multiply-accumulate = one MAC = two FLOPs):

* GEMM/GEMV/CONV2D: ``MACs = M·N·K`` (im2col for convolution), reduced to
  ``rows × non-zeros`` when the weight operand is sparse (``weight_nonzeros``); a bias adds one
  FLOP per output element.
* ATTENTION: ``QKᵀ`` and ``AV`` count ``head_dim`` MACs per (query, key) pair each. A causal mask
  is counted exactly: query ``i`` of ``q_len`` (at position ``kv_len - q_len + i``) attends
  ``kv_len - q_len + i + 1`` keys. Scaling and softmax add ``SCORE_FLOPS`` per pair.
* Element-wise, normalization, softmax and reduction FLOPs per element follow the tables below
  (one FLOP per add, multiply, compare, divide, exponential or square root).
* SOLVE/REGRESSION/EIGEN count the digital baseline's arithmetic: Cholesky (symmetric positive
  definite kinds) or LU without pivoting (diagonally dominant), two triangular solves per
  right-hand side, normal equations for regression, power iteration for the dominant eigenvector.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from archsim.config.base import FieldError, Model
from archsim.workload.tensor import Tensor

Gemm = tuple[int, int, int, int]  # (count, M, N, K)
Problems = list[tuple[str, str]]  # (field, message)


def _pair(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    return value


Pair = Annotated[tuple[int, int], BeforeValidator(_pair)]
Positive = Annotated[int, Field(ge=1)]


def _tensors(workload: Any) -> Mapping[str, Tensor]:
    return getattr(workload, "tensors", workload)


class OpBase(Model):
    """Fields and methods shared by every operator."""

    kind: str
    name: str = Field(min_length=1)
    inputs: list[str] = Field(description="tensor names read, in the operator's order")
    outputs: list[str] = Field(description="tensor names written")
    repeat: int = Field(1, ge=1, description="executions of this op (e.g. identical layers)")
    offload: str | None = Field(None, description="placement override, checked by the mapper")

    arity_in: ClassVar[tuple[int, int]] = (1, 1)
    arity_out: ClassVar[tuple[int, int]] = (1, 1)
    input_names: ClassVar[tuple[str, ...]] = ("x",)

    # -- arithmetic ----------------------------------------------------------------------------

    def macs(self) -> int:
        return 0

    def flops(self) -> int:
        return 2 * self.macs()

    def gemm_view(self) -> list[Gemm]:
        """The matrix products this op reduces to, as (count, M, N, K) with dense shapes."""
        return []

    # -- traffic -------------------------------------------------------------------------------

    def bytes_read(self, workload: Any) -> dict[str, int]:
        tensors = _tensors(workload)
        return {name: tensors[name].stored_bytes for name in self.inputs}

    def bytes_written(self, workload: Any) -> dict[str, int]:
        tensors = _tensors(workload)
        return {name: tensors[name].stored_bytes for name in self.outputs}

    def intensity(self, workload: Any) -> float:
        """FLOPs per byte moved (read + written); 0 when nothing moves."""
        moved = sum(self.bytes_read(workload).values()) + sum(self.bytes_written(workload).values())
        return self.flops() / moved if moved else 0.0

    # -- checks against the tensors ------------------------------------------------------------

    def check(self, tensors: Mapping[str, Tensor]) -> Problems:
        """Problems with the tensor shapes this op names (all names are known to exist)."""
        return []

    def _arity(self) -> Problems:
        problems: Problems = []
        for field, items, (lo, hi) in (
            ("inputs", self.inputs, self.arity_in),
            ("outputs", self.outputs, self.arity_out),
        ):
            if not lo <= len(items) <= hi:
                want = str(lo) if lo == hi else f"{lo} to {hi}"
                problems.append((field, f"{self.kind} takes {want} tensors, got {len(items)}"))
        return problems


def _elements(problems: Problems, tensors, name: str, field: str, want: int, what: str) -> None:
    t = tensors[name]
    if t.elements != want:
        problems.append((field, f"{name!r} has shape {t.shape} ({t.elements} elements) but {what}"))


def _last(problems: Problems, tensors, name: str, field: str, want: int, what: str) -> None:
    t = tensors[name]
    if t.shape[-1] != want:
        problems.append((field, f"{name!r} has shape {t.shape}: last dimension must be {what}"))


def _weight_nonzeros_check(op, tensors, index: int, dense: int) -> Problems:
    """``weight_nonzeros`` must match the sparse operand it describes."""
    if op.weight_nonzeros is None:
        return []
    t = tensors[op.inputs[index]]
    if t.elements != dense:
        return [
            (
                "weight_nonzeros",
                f"sparse MAC counting needs {op.inputs[index]!r} to hold one matrix of {dense}"
                f" elements, it has {t.elements}",
            )
        ]
    if t.nonzeros != op.weight_nonzeros:
        return [
            (
                "weight_nonzeros",
                f"is {op.weight_nonzeros} but {op.inputs[index]!r} holds {t.nonzeros} non-zeros",
            )
        ]
    return []


# ---------------------------------------------------------------------------------------------
# Matrix products
# ---------------------------------------------------------------------------------------------


class GemmOp(OpBase):
    """``C[batch, M, N] = A[batch, M, K] · B[K, N]`` (+ bias[N]); B may be batched too."""

    kind: Literal["gemm"] = "gemm"
    m: Positive
    n: Positive
    k: Positive
    batch: Positive = 1
    transpose_a: bool = Field(False, description="A is stored (K, M)")
    transpose_b: bool = Field(False, description="B is stored (N, K), as nn.Linear weights are")
    weight_nonzeros: int | None = Field(
        None, ge=0, description="non-zeros of a sparse B (set from B's sparsity)"
    )
    arity_in: ClassVar = (2, 3)
    input_names: ClassVar = ("a", "b", "bias")

    def macs(self) -> int:
        if self.weight_nonzeros is not None:
            return self.batch * self.m * self.weight_nonzeros
        return self.batch * self.m * self.n * self.k

    def flops(self) -> int:
        bias = self.batch * self.m * self.n if len(self.inputs) == 3 else 0
        return 2 * self.macs() + bias

    def gemm_view(self) -> list[Gemm]:
        return [(self.batch, self.m, self.n, self.k)]

    def check(self, tensors) -> Problems:
        p: Problems = []
        a, b = self.inputs[0], self.inputs[1]
        _elements(
            p,
            tensors,
            a,
            "inputs[0]",
            self.batch * self.m * self.k,
            f"batch·m·k is {self.batch}·{self.m}·{self.k}",
        )
        _last(
            p,
            tensors,
            a,
            "inputs[0]",
            self.m if self.transpose_a else self.k,
            f"{'m' if self.transpose_a else 'k'} = {self.m if self.transpose_a else self.k}"
            " (inner dimensions must agree)",
        )
        tb = tensors[b]
        if tb.elements not in (self.k * self.n, self.batch * self.k * self.n):
            p.append(("inputs[1]", f"{b!r} has shape {tb.shape} but k·n is {self.k}·{self.n}"))
        _last(
            p,
            tensors,
            b,
            "inputs[1]",
            self.k if self.transpose_b else self.n,
            f"{'k' if self.transpose_b else 'n'} = {self.k if self.transpose_b else self.n}"
            " (inner dimensions must agree)",
        )
        if len(self.inputs) == 3:
            _elements(p, tensors, self.inputs[2], "inputs[2]", self.n, f"a bias has n = {self.n}")
        _elements(
            p,
            tensors,
            self.outputs[0],
            "outputs[0]",
            self.batch * self.m * self.n,
            f"batch·m·n is {self.batch}·{self.m}·{self.n}",
        )
        return p + _weight_nonzeros_check(self, tensors, 1, self.k * self.n)


class GemvOp(OpBase):
    """``y[M] = A[M, K] · x[K]`` (+ bias[M]), ``batch`` independent products."""

    kind: Literal["gemv"] = "gemv"
    m: Positive
    k: Positive
    batch: Positive = 1
    transpose_a: bool = Field(False, description="A is stored (K, M)")
    weight_nonzeros: int | None = Field(None, ge=0, description="non-zeros of a sparse A")
    arity_in: ClassVar = (2, 3)
    input_names: ClassVar = ("a", "x", "bias")

    def macs(self) -> int:
        if self.weight_nonzeros is not None:
            return self.batch * self.weight_nonzeros
        return self.batch * self.m * self.k

    def flops(self) -> int:
        return 2 * self.macs() + (self.batch * self.m if len(self.inputs) == 3 else 0)

    def gemm_view(self) -> list[Gemm]:
        return [(self.batch, self.m, 1, self.k)]

    def check(self, tensors) -> Problems:
        p: Problems = []
        a, x = self.inputs[0], self.inputs[1]
        ta = tensors[a]
        if ta.elements not in (self.m * self.k, self.batch * self.m * self.k):
            p.append(("inputs[0]", f"{a!r} has shape {ta.shape} but m·k is {self.m}·{self.k}"))
        _last(
            p,
            tensors,
            a,
            "inputs[0]",
            self.m if self.transpose_a else self.k,
            f"{'m' if self.transpose_a else 'k'} = {self.m if self.transpose_a else self.k}"
            " (inner dimensions must agree)",
        )
        _elements(
            p,
            tensors,
            x,
            "inputs[1]",
            self.batch * self.k,
            f"batch·k is {self.batch}·{self.k} (inner dimensions must agree)",
        )
        if len(self.inputs) == 3:
            _elements(p, tensors, self.inputs[2], "inputs[2]", self.m, f"a bias has m = {self.m}")
        _elements(
            p,
            tensors,
            self.outputs[0],
            "outputs[0]",
            self.batch * self.m,
            f"batch·m is {self.batch}·{self.m}",
        )
        return p + _weight_nonzeros_check(self, tensors, 0, self.m * self.k)


class Conv2dOp(OpBase):
    """2-D convolution, NCHW input, weight (out, in/groups, kh, kw), optional bias."""

    kind: Literal["conv2d"] = "conv2d"
    batch: Positive = 1
    in_channels: Positive
    out_channels: Positive
    height: Positive = Field(description="input height")
    width: Positive = Field(description="input width")
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    groups: Positive = 1
    weight_nonzeros: int | None = Field(None, ge=0, description="non-zeros of a sparse weight")
    arity_in: ClassVar = (2, 3)
    input_names: ClassVar = ("x", "w", "bias")

    @model_validator(mode="after")
    def _geometry(self) -> Conv2dOp:
        for field in ("kernel", "stride", "dilation"):
            if min(getattr(self, field)) < 1:
                raise FieldError(field, f"must be at least 1, got {getattr(self, field)}")
        if min(self.padding) < 0:
            raise FieldError("padding", f"must not be negative, got {self.padding}")
        for field in ("in_channels", "out_channels"):
            if getattr(self, field) % self.groups:
                raise FieldError(
                    "groups", f"{self.groups} does not divide {field} ({getattr(self, field)})"
                )
        if self.out_height < 1 or self.out_width < 1:
            raise FieldError(
                "kernel",
                f"{self.kernel} (dilation {self.dilation}) is larger than the padded input"
                f" {self.height + 2 * self.padding[0]}x{self.width + 2 * self.padding[1]}",
            )
        return self

    @property
    def out_height(self) -> int:
        span = self.dilation[0] * (self.kernel[0] - 1) + 1
        return (self.height + 2 * self.padding[0] - span) // self.stride[0] + 1

    @property
    def out_width(self) -> int:
        span = self.dilation[1] * (self.kernel[1] - 1) + 1
        return (self.width + 2 * self.padding[1] - span) // self.stride[1] + 1

    @property
    def weight_elements(self) -> int:
        return self.out_channels * self.in_channels // self.groups * self.kernel[0] * self.kernel[1]

    def macs(self) -> int:
        pixels = self.batch * self.out_height * self.out_width
        if self.weight_nonzeros is not None:
            return pixels * self.weight_nonzeros
        return pixels * self.weight_elements

    def flops(self) -> int:
        bias = self.batch * self.out_channels * self.out_height * self.out_width
        return 2 * self.macs() + (bias if len(self.inputs) == 3 else 0)

    def gemm_view(self) -> list[Gemm]:
        m = self.batch * self.out_height * self.out_width
        k = self.in_channels // self.groups * self.kernel[0] * self.kernel[1]
        return [(self.groups, m, self.out_channels // self.groups, k)]

    def check(self, tensors) -> Problems:
        p: Problems = []
        x, w = self.inputs[0], self.inputs[1]
        _elements(
            p,
            tensors,
            x,
            "inputs[0]",
            self.batch * self.in_channels * self.height * self.width,
            f"batch·in_channels·height·width is {self.batch}·{self.in_channels}·"
            f"{self.height}·{self.width}",
        )
        _elements(
            p,
            tensors,
            w,
            "inputs[1]",
            self.weight_elements,
            f"a ({self.out_channels}, {self.in_channels // self.groups}, {self.kernel[0]},"
            f" {self.kernel[1]}) weight is expected",
        )
        if len(self.inputs) == 3:
            _elements(
                p,
                tensors,
                self.inputs[2],
                "inputs[2]",
                self.out_channels,
                f"a bias has out_channels = {self.out_channels}",
            )
        _elements(
            p,
            tensors,
            self.outputs[0],
            "outputs[0]",
            self.batch * self.out_channels * self.out_height * self.out_width,
            f"the output is {self.batch}x{self.out_channels}x{self.out_height}x{self.out_width}",
        )
        return p + _weight_nonzeros_check(self, tensors, 1, self.weight_elements)


# ---------------------------------------------------------------------------------------------
# Attention
# ---------------------------------------------------------------------------------------------

SCORE_FLOPS = 6  # per (query, key) score: scale 1 + softmax 5 (max, subtract, exp, sum, divide)


@lru_cache(maxsize=256)
def _triangle(n: int) -> tuple[tuple[tuple[int, int], int], ...]:
    """A lower triangle with its diagonal (n rows) as rectangles: ((rows, cols), count).

    T(n) = T(ceil n/2) + T(floor n/2) + one floor(n/2) x ceil(n/2) rectangle, so the number of
    distinct shapes grows with log n and the pair count is exactly n(n+1)/2.
    """
    if n == 1:
        return (((1, 1), 1),)
    a, b = n - n // 2, n // 2
    blocks: Counter[tuple[int, int]] = Counter({(b, a): 1})
    for part in (a, b):
        for shape, count in _triangle(part):
            blocks[shape] += count
    return tuple(sorted(blocks.items()))


class AttentionOp(OpBase):
    """Scaled dot-product attention with grouped-query heads, causal mask and KV cache.

    Inputs ``[q, k, v]`` or ``[q, k, v, k_cache, v_cache]``. ``k``/``v`` hold the
    ``kv_len - cache_len`` new tokens; ``cache_len`` earlier tokens are read from the caches, and
    with ``append`` the new tokens are written into them (the caches are updated in place, so they
    stay inputs of this op). Queries are the last ``q_len`` of the ``kv_len`` positions.
    """

    kind: Literal["attention"] = "attention"
    batch: Positive = 1
    heads: Positive
    kv_heads: int | None = Field(None, ge=1, description="key/value heads (GQA); default heads")
    head_dim: Positive
    q_len: Positive
    kv_len: Positive
    causal: bool = False
    cache_len: int = Field(0, ge=0, description="tokens read from the KV cache inputs")
    append: bool = Field(False, description="write the new k/v tokens into the caches")
    arity_in: ClassVar = (3, 5)
    input_names: ClassVar = ("q", "k", "v", "k_cache", "v_cache")

    @model_validator(mode="after")
    def _heads(self) -> AttentionOp:
        if self.heads % self.groups_kv:
            raise FieldError("kv_heads", f"{self.groups_kv} does not divide heads ({self.heads})")
        if self.cache_len >= self.kv_len:
            raise FieldError(
                "cache_len",
                f"{self.cache_len} leaves no new key/value tokens of kv_len {self.kv_len}",
            )
        if self.causal and self.q_len > self.kv_len:
            raise FieldError("q_len", f"{self.q_len} exceeds kv_len {self.kv_len} under causal")
        return self

    @property
    def groups_kv(self) -> int:
        return self.kv_heads or self.heads

    @property
    def new_tokens(self) -> int:
        return self.kv_len - self.cache_len

    def pairs(self) -> int:
        """(query, key) pairs scored per sequence and head."""
        q, kv = self.q_len, self.kv_len
        if not self.causal:
            return q * kv
        return q * (kv - q) + q * (q + 1) // 2

    def macs(self) -> int:
        return 2 * self.batch * self.heads * self.head_dim * self.pairs()

    def flops(self) -> int:
        return 2 * self.macs() + SCORE_FLOPS * self.batch * self.heads * self.pairs()

    def score_blocks(self) -> list[tuple[int, int, int]]:
        """Score rectangles per (sequence, query head): (count, query rows, key columns)."""
        q, kv = self.q_len, self.kv_len
        if not self.causal or q == 1:
            return [(1, q, kv)]
        blocks = [(count, r, c) for (r, c), count in _triangle(q)]
        if kv > q:
            blocks.insert(0, (1, q, kv - q))
        return blocks

    def gemm_view(self) -> list[Gemm]:
        """QKᵀ and AV per key/value head, the query heads of a group stacked as rows."""
        group = self.heads // self.groups_kv
        per = self.batch * self.groups_kv
        view: list[Gemm] = []
        for count, rows, cols in self.score_blocks():
            view.append((per * count, rows * group, cols, self.head_dim))
        for count, rows, cols in self.score_blocks():
            view.append((per * count, rows * group, self.head_dim, cols))
        return view

    def _cache_elements(self, tokens: int) -> int:
        return self.batch * self.groups_kv * tokens * self.head_dim

    def bytes_read(self, workload) -> dict[str, int]:
        tensors = _tensors(workload)
        out = {name: tensors[name].stored_bytes for name in self.inputs[:3]}
        for name in self.inputs[3:]:
            out[name] = tensors[name].part_bytes(self._cache_elements(self.cache_len))
        return out

    def bytes_written(self, workload) -> dict[str, int]:
        tensors = _tensors(workload)
        out = {name: tensors[name].stored_bytes for name in self.outputs}
        if self.append:
            for name in self.inputs[3:]:
                out[name] = tensors[name].part_bytes(self._cache_elements(self.new_tokens))
        return out

    def check(self, tensors) -> Problems:
        p: Problems = []
        if len(self.inputs) == 4:
            return [("inputs", "give both k_cache and v_cache, or neither")]
        qo = self.batch * self.heads * self.q_len * self.head_dim
        kv = self._cache_elements(self.new_tokens)
        _elements(
            p,
            tensors,
            self.inputs[0],
            "inputs[0]",
            qo,
            f"batch·heads·q_len·head_dim is {self.batch}·{self.heads}·{self.q_len}·{self.head_dim}",
        )
        for i in (1, 2):
            _elements(
                p,
                tensors,
                self.inputs[i],
                f"inputs[{i}]",
                kv,
                f"batch·kv_heads·(kv_len-cache_len)·head_dim is {self.batch}·"
                f"{self.groups_kv}·{self.new_tokens}·{self.head_dim}",
            )
        _elements(p, tensors, self.outputs[0], "outputs[0]", qo, f"the output holds {qo} elements")
        if len(self.inputs) == 3:
            if self.cache_len or self.append:
                p.append(("inputs", "cache_len and append need k_cache and v_cache inputs"))
            return p
        need = self._cache_elements(self.cache_len + (self.new_tokens if self.append else 0))
        per_token = self._cache_elements(1)
        for i in (3, 4):
            t = tensors[self.inputs[i]]
            if t.elements < need or t.elements % per_token:
                p.append(
                    (
                        f"inputs[{i}]",
                        f"{self.inputs[i]!r} has shape {t.shape}: a cache of batch·kv_heads·"
                        f"tokens·head_dim with at least {need // per_token} tokens is needed",
                    )
                )
        return p


# ---------------------------------------------------------------------------------------------
# Element-wise, normalization, softmax, embedding, reduction
# ---------------------------------------------------------------------------------------------

# FLOPs per output element. Transcendentals count one each; GELU is the tanh approximation
# (0.5·x·(1 + tanh(c·(x + 0.044715·x³)))): 8; SiLU x/(1+e^-x): 4; SwiGLU = SiLU(gate)·up: 5;
# rotary embedding x·cos + rotate(x)·sin: 3. Data movement ops (copy, transpose, slice,
# concat) compute nothing; a view moves nothing either.
ELTWISE_FLOPS: dict[str, int] = {
    "add": 1, "sub": 1, "mul": 1, "div": 1, "max": 1, "min": 1, "scale": 1, "pow": 1,
    "relu": 1, "relu6": 2, "gelu": 8, "silu": 4, "sigmoid": 3, "tanh": 1, "exp": 1, "sqrt": 1,
    "erf": 1, "swiglu": 5, "rope": 3,
    "copy": 0, "transpose": 0, "slice": 0, "concat": 0, "view": 0,
}  # fmt: skip
EltwiseKind = Literal[
    "add", "sub", "mul", "div", "max", "min", "scale", "pow", "relu", "relu6", "gelu", "silu",
    "sigmoid", "tanh", "exp", "sqrt", "erf", "swiglu", "rope", "copy", "transpose", "slice",
    "concat", "view",
]  # fmt: skip
_UNARY_MOVES = ("copy", "transpose", "view")


class EltwiseOp(OpBase):
    """Element-wise arithmetic or activation over ``elements`` outputs (inputs may broadcast)."""

    kind: Literal["eltwise"] = "eltwise"
    op: EltwiseKind
    elements: Positive = Field(description="output elements")
    arity_in: ClassVar = (1, 8)
    input_names: ClassVar = ("a", "b")

    def flops(self) -> int:
        return ELTWISE_FLOPS[self.op] * self.elements

    def bytes_read(self, workload) -> dict[str, int]:
        tensors = _tensors(workload)
        if self.op == "view":
            return {}
        if self.op == "slice":
            return {self.inputs[0]: tensors[self.inputs[0]].part_bytes(self.elements)}
        return super().bytes_read(workload)

    def bytes_written(self, workload) -> dict[str, int]:
        return {} if self.op == "view" else super().bytes_written(workload)

    def check(self, tensors) -> Problems:
        p: Problems = []
        _elements(
            p, tensors, self.outputs[0], "outputs[0]", self.elements, f"elements is {self.elements}"
        )
        ins = [tensors[n] for n in self.inputs]
        if self.op in _UNARY_MOVES or self.op == "slice":
            if len(ins) != 1:
                p.append(("inputs", f"{self.op} takes one input, got {len(ins)}"))
            elif self.op == "slice" and ins[0].elements < self.elements:
                p.append(("inputs[0]", f"{self.inputs[0]!r} is smaller than the slice"))
            elif self.op != "slice" and ins[0].elements != self.elements:
                p.append(
                    (
                        "inputs[0]",
                        f"{self.inputs[0]!r} has {ins[0].elements} elements,"
                        f" {self.op} keeps all {self.elements}",
                    )
                )
        elif self.op == "concat":
            if sum(t.elements for t in ins) != self.elements:
                p.append(("inputs", f"concatenated inputs must add up to {self.elements}"))
        else:
            for i, t in enumerate(ins):
                if self.elements % t.elements:
                    p.append(
                        (
                            f"inputs[{i}]",
                            f"{self.inputs[i]!r} ({t.elements} elements) does"
                            f" not broadcast to {self.elements}",
                        )
                    )
        return p


# FLOPs per element: layer norm = mean 1 + subtract 1 + square 1 + accumulate 1 + normalize 1 +
# gamma 1 + beta 1; RMS norm = square 1 + accumulate 1 + normalize 1 + gamma 1; batch norm at
# inference folds to one multiply and one add.
NORM_FLOPS: dict[str, int] = {"layer": 7, "rms": 4, "batch": 2}


class NormOp(OpBase):
    """Layer, RMS or (inference) batch normalization; inputs ``[x, gamma(, beta)]``."""

    kind: Literal["norm"] = "norm"
    norm: Literal["layer", "rms", "batch"] = "layer"
    elements: Positive
    channels: Positive = Field(description="normalized size (layer/RMS) or channel count (batch)")
    arity_in: ClassVar = (1, 3)
    input_names: ClassVar = ("x", "gamma", "beta")

    def flops(self) -> int:
        return NORM_FLOPS[self.norm] * self.elements

    def check(self, tensors) -> Problems:
        p: Problems = []
        if self.elements % self.channels:
            p.append(("channels", f"{self.channels} does not divide elements ({self.elements})"))
        _elements(
            p, tensors, self.inputs[0], "inputs[0]", self.elements, f"elements is {self.elements}"
        )
        for i, name in enumerate(self.inputs[1:], start=1):
            _elements(
                p,
                tensors,
                name,
                f"inputs[{i}]",
                self.channels,
                f"a scale/shift has channels = {self.channels}",
            )
        _elements(
            p, tensors, self.outputs[0], "outputs[0]", self.elements, f"elements is {self.elements}"
        )
        return p


SOFTMAX_FLOPS = 5  # max, subtract, exp, sum, divide


class SoftmaxOp(OpBase):
    """Softmax along an axis of length ``axis_size``."""

    kind: Literal["softmax"] = "softmax"
    elements: Positive
    axis_size: Positive

    def flops(self) -> int:
        return SOFTMAX_FLOPS * self.elements

    def check(self, tensors) -> Problems:
        p: Problems = []
        if self.elements % self.axis_size:
            p.append(("axis_size", f"{self.axis_size} does not divide elements ({self.elements})"))
        for field, name in (("inputs[0]", self.inputs[0]), ("outputs[0]", self.outputs[0])):
            _elements(p, tensors, name, field, self.elements, f"elements is {self.elements}")
        return p


class EmbeddingOp(OpBase):
    """Row gather: ``rows`` lookups into a ``(vocab, dim)`` table (token ids are implicit)."""

    kind: Literal["embedding"] = "embedding"
    vocab: Positive
    dim: Positive
    rows: Positive = Field(description="rows gathered (tokens looked up)")
    input_names: ClassVar = ("table",)

    def bytes_read(self, workload) -> dict[str, int]:
        table = _tensors(workload)[self.inputs[0]]
        return {self.inputs[0]: table.stored_bytes * self.rows // self.vocab}

    def check(self, tensors) -> Problems:
        p: Problems = []
        t = tensors[self.inputs[0]]
        if t.shape != (self.vocab, self.dim):
            p.append(
                (
                    "inputs[0]",
                    f"{self.inputs[0]!r} has shape {t.shape}, expected"
                    f" (vocab, dim) = ({self.vocab}, {self.dim})",
                )
            )
        _elements(
            p,
            tensors,
            self.outputs[0],
            "outputs[0]",
            self.rows * self.dim,
            f"rows·dim is {self.rows}·{self.dim}",
        )
        return p


class ReduceOp(OpBase):
    """Sum, mean or max reductions (global or windowed pooling): ``window`` inputs per output."""

    kind: Literal["reduce"] = "reduce"
    op: Literal["sum", "mean", "max"] = "sum"
    in_elements: Positive
    out_elements: Positive
    window: int | None = Field(None, ge=1, description="inputs per output; default in/out")

    @model_validator(mode="after")
    def _window(self) -> ReduceOp:
        if self.window is None and self.in_elements % self.out_elements:
            raise FieldError(
                "out_elements",
                f"{self.out_elements} does not divide in_elements ({self.in_elements});"
                " give window for overlapping pooling",
            )
        return self

    @property
    def reduced(self) -> int:
        return self.window or self.in_elements // self.out_elements

    def flops(self) -> int:
        return self.out_elements * self.reduced

    def check(self, tensors) -> Problems:
        p: Problems = []
        _elements(
            p,
            tensors,
            self.inputs[0],
            "inputs[0]",
            self.in_elements,
            f"in_elements is {self.in_elements}",
        )
        _elements(
            p,
            tensors,
            self.outputs[0],
            "outputs[0]",
            self.out_elements,
            f"out_elements is {self.out_elements}",
        )
        return p


# ---------------------------------------------------------------------------------------------
# The in-memory solver family
# ---------------------------------------------------------------------------------------------

SolveMatrix = Literal["spd", "diagonally-dominant", "covariance", "toeplitz", "kalman"]
SYMMETRIC_KINDS = ("spd", "covariance", "toeplitz", "kalman")


def cholesky_macs(n: int) -> int:
    """Σ_j j·(n-j) multiply-adds of a right-looking Cholesky factorization: (n³-n)/6."""
    return (n**3 - n) // 6


def lu_macs(n: int) -> int:
    """Σ_k (n-k-1)² multiply-adds of LU without pivoting: (n-1)n(2n-1)/6."""
    return (n - 1) * n * (2 * n - 1) // 6


class _SolverBase(OpBase):
    tolerance: float = Field(1e-6, gt=0, lt=1, description="target relative residual")
    seed: int = Field(0, ge=0, description="seed of the matrix (see solvers.make_matrix)")


class SolveOp(_SolverBase):
    """Dense ``A x = b`` with ``rhs`` right-hand sides; inputs ``[A, b]``, output ``[x]``."""

    kind: Literal["solve"] = "solve"
    n: Positive
    rhs: Positive = 1
    matrix_kind: SolveMatrix = "spd"
    condition: float | None = Field(None, ge=1, description="condition number (spd)")
    input_names: ClassVar = ("a", "b")
    arity_in: ClassVar = (2, 2)

    def _factor(self) -> tuple[int, int]:
        """(MACs, other FLOPs: divisions and square roots) of the factorization."""
        n = self.n
        if self.matrix_kind in SYMMETRIC_KINDS:
            return cholesky_macs(n), n + n * (n - 1) // 2
        return lu_macs(n), n * (n - 1) // 2

    def macs(self) -> int:
        return self._factor()[0] + self.rhs * self.n * (self.n - 1)

    def flops(self) -> int:
        per_rhs = 2 * self.n if self.matrix_kind in SYMMETRIC_KINDS else self.n
        return 2 * self.macs() + self._factor()[1] + self.rhs * per_rhs

    def check(self, tensors) -> Problems:
        p: Problems = []
        a = tensors[self.inputs[0]]
        if a.shape != (self.n, self.n):
            p.append(
                (
                    "inputs[0]",
                    f"{self.inputs[0]!r} has shape {a.shape}, expected ({self.n}, {self.n})",
                )
            )
        _elements(
            p,
            tensors,
            self.inputs[1],
            "inputs[1]",
            self.n * self.rhs,
            f"n·rhs is {self.n}·{self.rhs}",
        )
        _elements(
            p,
            tensors,
            self.outputs[0],
            "outputs[0]",
            self.n * self.rhs,
            f"n·rhs is {self.n}·{self.rhs}",
        )
        return p


class RegressionOp(_SolverBase):
    """Least squares / ridge ``min |Xw - y|² + ridge·|w|²``; inputs ``[X, y]``, output ``[w]``.

    Baseline arithmetic: the normal equations (XᵀX, symmetric, so F(F+1)/2 dot products of
    length S; Xᵀy), then a Cholesky solve of the F x F system.
    """

    kind: Literal["regression"] = "regression"
    samples: Positive
    features: Positive
    ridge: float = Field(0.0, ge=0, description="L2 penalty (0: ordinary least squares)")
    matrix_kind: Literal["gaussian", "correlated"] = "gaussian"
    input_names: ClassVar = ("x", "y")
    arity_in: ClassVar = (2, 2)

    @property
    def n(self) -> int:
        return self.features

    def macs(self) -> int:
        s, f = self.samples, self.features
        return s * f * (f + 1) // 2 + s * f + cholesky_macs(f) + f * (f - 1)

    def flops(self) -> int:
        f = self.features
        return 2 * self.macs() + f + f + f * (f - 1) // 2 + 2 * f

    def check(self, tensors) -> Problems:
        p: Problems = []
        x = tensors[self.inputs[0]]
        if x.shape != (self.samples, self.features):
            p.append(
                (
                    "inputs[0]",
                    f"{self.inputs[0]!r} has shape {x.shape}, expected"
                    f" (samples, features) = ({self.samples}, {self.features})",
                )
            )
        _elements(
            p, tensors, self.inputs[1], "inputs[1]", self.samples, f"samples is {self.samples}"
        )
        _elements(
            p, tensors, self.outputs[0], "outputs[0]", self.features, f"features is {self.features}"
        )
        return p


class EigenOp(_SolverBase):
    """Dominant eigenvector by power iteration; input ``[A]``, output ``[v]``."""

    kind: Literal["eigen"] = "eigen"
    n: Positive
    matrix_kind: Literal["pagerank", "spd", "covariance"] = "pagerank"
    iterations: Positive = Field(description="power iterations of the digital baseline")
    damping: float = Field(0.85, gt=0, lt=1, description="PageRank damping factor")
    degree: Positive = Field(8, description="mean out-degree of the generated PageRank graph")
    input_names: ClassVar = ("a",)

    def macs(self) -> int:
        return self.iterations * self.n * self.n

    def flops(self) -> int:
        # Each iteration also normalizes: n absolute values summed, n divisions.
        return 2 * self.macs() + self.iterations * 2 * self.n

    def gemm_view(self) -> list[Gemm]:
        return [(self.iterations, self.n, 1, self.n)]

    def check(self, tensors) -> Problems:
        p: Problems = []
        a = tensors[self.inputs[0]]
        if a.shape != (self.n, self.n):
            p.append(
                (
                    "inputs[0]",
                    f"{self.inputs[0]!r} has shape {a.shape}, expected ({self.n}, {self.n})",
                )
            )
        _elements(p, tensors, self.outputs[0], "outputs[0]", self.n, f"n is {self.n}")
        return p


OP_CLASSES: tuple[type[OpBase], ...] = (
    GemmOp, GemvOp, Conv2dOp, AttentionOp, EltwiseOp, NormOp, SoftmaxOp, EmbeddingOp, ReduceOp,
    SolveOp, RegressionOp, EigenOp,
)  # fmt: skip
OP_KINDS: tuple[str, ...] = tuple(c.model_fields["kind"].default for c in OP_CLASSES)

Op = Annotated[
    GemmOp
    | GemvOp
    | Conv2dOp
    | AttentionOp
    | EltwiseOp
    | NormOp
    | SoftmaxOp
    | EmbeddingOp
    | ReduceOp
    | SolveOp
    | RegressionOp
    | EigenOp,
    Field(discriminator="kind"),
]
