"""Element-wise, normalization, softmax, embedding and reduction operators (FLOPs per element)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from archsim.config.base import FieldError
from archsim.workload.ops.base import (
    Expect,
    OpBase,
    Positive,
    Problems,
    elements,
    holds,
    shape,
    tensors_of,
)

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


def _same_elements(elements_: int) -> list[Expect]:
    """Input and output both hold ``elements_`` elements."""
    what = f"elements is {elements_}"
    return [elements("inputs[0]", elements_, what), elements("outputs[0]", elements_, what)]


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
        tensors = tensors_of(workload)
        if self.op == "view":
            return {}
        if self.op == "slice":
            return {self.inputs[0]: tensors[self.inputs[0]].part_bytes(self.elements)}
        return super().bytes_read(workload)

    def bytes_written(self, workload) -> dict[str, int]:
        return {} if self.op == "view" else super().bytes_written(workload)

    def expectations(self) -> list[Expect]:
        return [elements("outputs[0]", self.elements, f"elements is {self.elements}")]

    def extra_problems(self, tensors) -> Problems:
        p: Problems = []
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

    def expectations(self) -> list[Expect]:
        e, c = self.elements, self.channels
        x, y = _same_elements(e)
        scales = [
            elements(f"inputs[{i}]", c, f"a scale/shift has channels = {c}")
            for i in range(1, len(self.inputs))
        ]
        return [holds(e % c == 0, "channels", f"{c} does not divide elements ({e})"), x, *scales, y]


SOFTMAX_FLOPS = 5  # max, subtract, exp, sum, divide


class SoftmaxOp(OpBase):
    """Softmax along an axis of length ``axis_size``."""

    kind: Literal["softmax"] = "softmax"
    elements: Positive
    axis_size: Positive

    def flops(self) -> int:
        return SOFTMAX_FLOPS * self.elements

    def expectations(self) -> list[Expect]:
        e, a = self.elements, self.axis_size
        return [holds(e % a == 0, "axis_size", f"{a} does not divide elements ({e})"),
                *_same_elements(e)]  # fmt: skip


class EmbeddingOp(OpBase):
    """Row gather: ``rows`` lookups into a ``(vocab, dim)`` table (token ids are implicit)."""

    kind: Literal["embedding"] = "embedding"
    vocab: Positive
    dim: Positive
    rows: Positive = Field(description="rows gathered (tokens looked up)")
    input_names: ClassVar = ("table",)

    def bytes_read(self, workload) -> dict[str, int]:
        table = tensors_of(workload)[self.inputs[0]]
        return {self.inputs[0]: table.stored_bytes * self.rows // self.vocab}

    def expectations(self) -> list[Expect]:
        v, d, r = self.vocab, self.dim, self.rows
        return [
            shape("inputs[0]", (v, d), f"(vocab, dim) = ({v}, {d})"),
            elements("outputs[0]", r * d, f"rows·dim is {r}·{d}"),
        ]


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

    def expectations(self) -> list[Expect]:
        i, o = self.in_elements, self.out_elements
        return [
            elements("inputs[0]", i, f"in_elements is {i}"),
            elements("outputs[0]", o, f"out_elements is {o}"),
        ]
