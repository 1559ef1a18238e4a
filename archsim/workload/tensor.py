"""Tensors of an operator trace: shape, number format, role, sparsity, and the bytes they take.

A tensor describes one instance (one layer's weight matrix, one layer's KV cache). When a
repeated layer stack is stored once (see ``Op.repeat``), ``copies`` says how many distinct
instances exist, so that totals such as ``weight_bytes`` stay exact without unrolling.

Storage formats (``stored_bytes``), per instance:

* dense: ``ceil(elements * bits / 8)``;
* unstructured sparsity, ``bitmap`` (the default): the non-zero values plus one mask bit per
  element; ``csr``: the non-zero values, a 16-bit column index per non-zero (32-bit when the last
  dimension exceeds 65,536) and a 32-bit row pointer per row plus one;
* N:M structured sparsity: the non-zero values plus ``ceil(log2 M)`` metadata bits per non-zero
  (NVIDIA's 2:4 format keeps 2 bits per kept value: Mishra et al., "Accelerating Sparse Deep
  Neural Networks", arXiv:2104.08378, 2021, section 3);
* group-wise quantization (``quant_group``): one fp16 scale per group of elements on top.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from archsim.config.base import FieldError, Model

DType = Literal["fp32", "fp16", "bf16", "fp8", "int8", "int4"]
Role = Literal["weight", "activation", "kv_cache", "input", "output"]

BITS: dict[str, int] = {"fp32": 32, "fp16": 16, "bf16": 16, "fp8": 8, "int8": 8, "int4": 4}
DTYPES: tuple[str, ...] = tuple(BITS)
ROLES: tuple[str, ...] = ("weight", "activation", "kv_cache", "input", "output")
SCALE_BYTES = 2  # one fp16 scale per quantization group


class UnstructuredSparsity(Model):
    """A fraction ``ratio`` of the elements are zero, anywhere."""

    kind: Literal["unstructured"] = "unstructured"
    ratio: float = Field(ge=0.0, lt=1.0, description="fraction of zero elements")
    format: Literal["bitmap", "csr"] = Field("bitmap", description="compressed storage format")


class NMSparsity(Model):
    """N non-zeros in every group of M consecutive elements along the last dimension."""

    kind: Literal["n:m"] = "n:m"
    n: int = Field(ge=1, description="non-zeros kept per group")
    m: int = Field(ge=2, description="group length")

    @model_validator(mode="after")
    def _n_below_m(self) -> NMSparsity:
        if self.n >= self.m:
            raise FieldError("n", f"must be below m ({self.m}) for N:M sparsity")
        return self


def _parse_sparsity(value: object) -> object:
    """Accept the short forms ``0.5`` (unstructured ratio) and ``"2:4"`` (N:M)."""
    if isinstance(value, bool):
        raise ValueError("sparsity is a ratio such as 0.5, 'N:M' such as '2:4', or a mapping")
    if isinstance(value, int | float):
        return {"kind": "unstructured", "ratio": value}
    if isinstance(value, str):
        text = value.strip()
        if ":" in text:
            left, _, right = text.partition(":")
            try:
                return {"kind": "n:m", "n": int(left), "m": int(right)}
            except ValueError:
                raise ValueError(f"cannot read {value!r} as N:M sparsity, e.g. '2:4'") from None
        try:
            return {"kind": "unstructured", "ratio": float(text)}
        except ValueError:
            raise ValueError(
                f"cannot read {value!r} as sparsity; use a ratio such as 0.5 or N:M such as '2:4'"
            ) from None
    if isinstance(value, dict) and "kind" not in value:
        return {"kind": "n:m" if "n" in value or "m" in value else "unstructured", **value}
    return value


Sparsity = Annotated[
    Annotated[UnstructuredSparsity | NMSparsity, Field(discriminator="kind")],
    BeforeValidator(_parse_sparsity),
]


class Tensor(Model):
    """A named tensor: shape, number format, role in the workload, and optional sparsity."""

    name: str = Field(min_length=1)
    shape: tuple[int, ...] = Field(min_length=1, description="dimensions, each at least 1")
    dtype: DType = "fp16"
    role: Role = "activation"
    sparsity: Sparsity | None = None
    quant_group: int | None = Field(
        None, ge=1, description="elements per quantization scale (fp16), None for no scales"
    )
    copies: int = Field(
        1, ge=1, description="distinct instances (e.g. one per layer of a repeated stack)"
    )

    @field_validator("shape")
    @classmethod
    def _positive(cls, shape: tuple[int, ...]) -> tuple[int, ...]:
        for i, d in enumerate(shape):
            if d < 1:
                raise ValueError(f"dimension {i} is {d}; every dimension must be at least 1")
        return shape

    @model_validator(mode="after")
    def _sparsity_fits(self) -> Tensor:
        sp = self.sparsity
        if isinstance(sp, NMSparsity) and self.shape[-1] % sp.m:
            raise FieldError(
                "sparsity",
                f"{sp.n}:{sp.m} sparsity needs the last dimension ({self.shape[-1]}) to be a"
                f" multiple of {sp.m}",
            )
        return self

    # -- sizes ---------------------------------------------------------------------------------

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def bits_per_element(self) -> int:
        return BITS[self.dtype]

    @property
    def nonzeros(self) -> int:
        """Stored (non-zero) elements: all of them unless the tensor is sparse."""
        sp = self.sparsity
        if sp is None:
            return self.elements
        if isinstance(sp, NMSparsity):
            return self.elements // sp.m * sp.n
        return round(self.elements * (1.0 - sp.ratio))

    @property
    def density(self) -> float:
        return self.nonzeros / self.elements

    @property
    def dense_bytes(self) -> int:
        return _ceil_div(self.elements * self.bits_per_element, 8)

    @property
    def stored_bytes(self) -> int:
        """Bytes in memory: compressed when sparse (index overhead counted), scales included."""
        return self._stored_bytes()

    def _stored_bytes(self) -> int:
        values = _ceil_div(self.nonzeros * self.bits_per_element, 8)
        scales = _ceil_div(self.elements, self.quant_group) * SCALE_BYTES if self.quant_group else 0
        sp = self.sparsity
        if sp is None:
            return values + scales
        if isinstance(sp, NMSparsity):
            meta_bits = max(1, math.ceil(math.log2(sp.m)))
            return values + _ceil_div(self.nonzeros * meta_bits, 8) + scales
        if sp.format == "bitmap":
            return values + _ceil_div(self.elements, 8) + scales
        rows = self.elements // self.shape[-1]
        index_bytes = 2 if self.shape[-1] <= 1 << 16 else 4
        pointer_bytes = 4 if self.nonzeros < 1 << 32 else 8
        return values + self.nonzeros * index_bytes + (rows + 1) * pointer_bytes + scales

    def part_bytes(self, elements: int) -> int:
        """Bytes of ``elements`` of this tensor (a slice read or appended), pro rata."""
        if elements >= self.elements:
            return self.stored_bytes
        if self.sparsity is None and self.quant_group is None:
            return _ceil_div(elements * self.bits_per_element, 8)
        return self.stored_bytes * elements // self.elements


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)
