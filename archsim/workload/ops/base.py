"""What every operator shares: its fields, arithmetic defaults, traffic, and shape checks.

An operator states what it expects of the tensors it names as a list of :class:`Expect` rules
(:meth:`OpBase.expectations`); :meth:`OpBase.check` evaluates them, in order, with one wording per
kind of rule, and adds the sparse-weight check for operators that have a weight operand. An op
with a rule no kind covers adds it in :meth:`OpBase.extra_problems`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field

from archsim.config.base import Model
from archsim.workload.tensor import Tensor

Gemm = tuple[int, int, int, int]  # (count, M, N, K)
Problems = list[tuple[str, str]]  # (field, message)


def _pair(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    return value


Pair = Annotated[tuple[int, int], BeforeValidator(_pair)]
Positive = Annotated[int, Field(ge=1)]


def tensors_of(workload: Any) -> Mapping[str, Tensor]:
    """The tensors of a workload, or the mapping itself."""
    return getattr(workload, "tensors", workload)


@dataclass(frozen=True)
class Expect:
    """One rule about one tensor an op names (``slot`` such as ``inputs[1]``), or about the op.

    ``rule`` is how the tensor is compared with ``want``:

    - ``elements``: it holds ``want`` elements;
    - ``elements_in``: it holds one of the element counts in ``want``;
    - ``last``: its last dimension is ``want``;
    - ``shape``: its shape is ``want``;
    - ``holds``: no tensor; ``want`` is whether the op's own fields agree (``slot`` names the
      field).

    ``what`` completes the message, which is worded once per rule below.
    """

    slot: str
    rule: Literal["elements", "elements_in", "last", "shape", "holds"]
    want: Any
    what: str

    def problem(self, op: OpBase, tensors: Mapping[str, Tensor]) -> tuple[str, str] | None:
        if self.rule == "holds":
            return None if self.want else (self.slot, self.what)
        name = op.slot_tensor(self.slot)
        t = tensors[name]
        if self.rule == "elements":
            bad, says = t.elements != self.want, f" ({t.elements} elements) but {self.what}"
        elif self.rule == "elements_in":
            bad, says = t.elements not in self.want, f" but {self.what}"
        elif self.rule == "last":
            bad, says = t.shape[-1] != self.want, f": last dimension must be {self.what}"
        else:
            bad, says = t.shape != self.want, f", expected {self.what}"
        return (self.slot, f"{name!r} has shape {t.shape}{says}") if bad else None


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
    # Input index of the weight whose sparsity (``weight_nonzeros``) reduces the MACs, if any.
    weight_operand: ClassVar[int | None] = None

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
        tensors = tensors_of(workload)
        return {name: tensors[name].stored_bytes for name in self.inputs}

    def bytes_written(self, workload: Any) -> dict[str, int]:
        tensors = tensors_of(workload)
        return {name: tensors[name].stored_bytes for name in self.outputs}

    def intensity(self, workload: Any) -> float:
        """FLOPs per byte moved (read + written); 0 when nothing moves."""
        moved = sum(self.bytes_read(workload).values()) + sum(self.bytes_written(workload).values())
        return self.flops() / moved if moved else 0.0

    # -- checks against the tensors ------------------------------------------------------------

    def expectations(self) -> list[Expect]:
        """What this op expects of its tensors, in the order problems are reported."""
        return []

    def extra_problems(self, tensors: Mapping[str, Tensor]) -> Problems:
        """Problems no :class:`Expect` rule states (after the expectations' ones)."""
        return []

    def dense_weight_elements(self) -> int:
        """Elements of the dense weight operand (ops with a ``weight_operand``)."""
        raise NotImplementedError

    def check(self, tensors: Mapping[str, Tensor]) -> Problems:
        """Problems with the tensor shapes this op names (all names are known to exist)."""
        problems = [p for e in self.expectations() if (p := e.problem(self, tensors))]
        return problems + self.extra_problems(tensors) + self._weight_nonzeros_problems(tensors)

    def slot_tensor(self, slot: str) -> str:
        """The tensor name at ``inputs[i]`` or ``outputs[i]``."""
        group, _, index = slot.partition("[")
        return getattr(self, group)[int(index.rstrip("]"))]

    def _weight_nonzeros_problems(self, tensors: Mapping[str, Tensor]) -> Problems:
        """``weight_nonzeros`` must match the sparse operand it describes."""
        index = self.weight_operand
        nonzeros = getattr(self, "weight_nonzeros", None)
        if index is None or nonzeros is None:
            return []
        name = self.inputs[index]
        t, dense = tensors[name], self.dense_weight_elements()
        if t.elements != dense:
            return [
                (
                    "weight_nonzeros",
                    f"sparse MAC counting needs {name!r} to hold one matrix of {dense}"
                    f" elements, it has {t.elements}",
                )
            ]
        if t.nonzeros != nonzeros:
            return [("weight_nonzeros", f"is {nonzeros} but {name!r} holds {t.nonzeros} non-zeros")]
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


def elements(slot: str, want: int, what: str) -> Expect:
    return Expect(slot, "elements", want, what)


def last_dim(slot: str, want: int, what: str) -> Expect:
    return Expect(slot, "last", want, what)


def shape(slot: str, want: tuple[int, ...], what: str) -> Expect:
    return Expect(slot, "shape", want, what)


def holds(condition: bool, field: str, message: str) -> Expect:
    return Expect(field, "holds", condition, message)


def bias(op: OpBase, want: int, what: str) -> list[Expect]:
    """The optional third input of a matrix product is a bias of ``want`` elements."""
    if len(op.inputs) != 3:
        return []
    return [elements("inputs[2]", want, f"a bias has {what} = {want}")]
