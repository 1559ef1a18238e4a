"""Matrix products: GEMM, GEMV and 2-D convolution (im2col), dense or with a sparse weight."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from archsim.config.base import FieldError
from archsim.workload.ops.base import (
    Expect,
    Gemm,
    OpBase,
    Pair,
    Positive,
    bias,
    elements,
    last_dim,
)


def _inner(slot: str, transposed: bool, names: tuple[str, str], values: tuple[int, int]) -> Expect:
    """The stored last dimension of an operand: the second name/value when not transposed."""
    i = 0 if transposed else 1
    what = f"{names[i]} = {values[i]} (inner dimensions must agree)"
    return last_dim(slot, values[i], what)


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
    weight_operand: ClassVar = 1

    def macs(self) -> int:
        if self.weight_nonzeros is not None:
            return self.batch * self.m * self.weight_nonzeros
        return self.batch * self.m * self.n * self.k

    def flops(self) -> int:
        bias_flops = self.batch * self.m * self.n if len(self.inputs) == 3 else 0
        return 2 * self.macs() + bias_flops

    def gemm_view(self) -> list[Gemm]:
        return [(self.batch, self.m, self.n, self.k)]

    def dense_weight_elements(self) -> int:
        return self.k * self.n

    def expectations(self) -> list[Expect]:
        b, m, n, k = self.batch, self.m, self.n, self.k
        return [
            elements("inputs[0]", b * m * k, f"batch·m·k is {b}·{m}·{k}"),
            _inner("inputs[0]", self.transpose_a, ("m", "k"), (m, k)),
            Expect("inputs[1]", "elements_in", (k * n, b * k * n), f"k·n is {k}·{n}"),
            _inner("inputs[1]", self.transpose_b, ("k", "n"), (k, n)),
            *bias(self, n, "n"),
            elements("outputs[0]", b * m * n, f"batch·m·n is {b}·{m}·{n}"),
        ]


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
    weight_operand: ClassVar = 0

    def macs(self) -> int:
        if self.weight_nonzeros is not None:
            return self.batch * self.weight_nonzeros
        return self.batch * self.m * self.k

    def flops(self) -> int:
        return 2 * self.macs() + (self.batch * self.m if len(self.inputs) == 3 else 0)

    def gemm_view(self) -> list[Gemm]:
        return [(self.batch, self.m, 1, self.k)]

    def dense_weight_elements(self) -> int:
        return self.m * self.k

    def expectations(self) -> list[Expect]:
        b, m, k = self.batch, self.m, self.k
        return [
            Expect("inputs[0]", "elements_in", (m * k, b * m * k), f"m·k is {m}·{k}"),
            _inner("inputs[0]", self.transpose_a, ("m", "k"), (m, k)),
            elements("inputs[1]", b * k, f"batch·k is {b}·{k} (inner dimensions must agree)"),
            *bias(self, m, "m"),
            elements("outputs[0]", b * m, f"batch·m is {b}·{m}"),
        ]


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
    weight_operand: ClassVar = 1

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
        bias_flops = self.batch * self.out_channels * self.out_height * self.out_width
        return 2 * self.macs() + (bias_flops if len(self.inputs) == 3 else 0)

    def gemm_view(self) -> list[Gemm]:
        m = self.batch * self.out_height * self.out_width
        k = self.in_channels // self.groups * self.kernel[0] * self.kernel[1]
        return [(self.groups, m, self.out_channels // self.groups, k)]

    def dense_weight_elements(self) -> int:
        return self.weight_elements

    def expectations(self) -> list[Expect]:
        b, c_in, c_out, h, w = (
            self.batch, self.in_channels, self.out_channels, self.height, self.width
        )  # fmt: skip
        oh, ow = self.out_height, self.out_width
        return [
            elements("inputs[0]", b * c_in * h * w,
                     f"batch·in_channels·height·width is {b}·{c_in}·{h}·{w}"),
            elements("inputs[1]", self.weight_elements,
                     f"a ({c_out}, {c_in // self.groups}, {self.kernel[0]}, {self.kernel[1]})"
                     " weight is expected"),
            *bias(self, c_out, "out_channels"),
            elements("outputs[0]", b * c_out * oh * ow,
                     f"the output is {b}x{c_out}x{oh}x{ow}"),
        ]  # fmt: skip
