"""A small helper that generators and importers use to assemble a Workload op by op."""

from __future__ import annotations

from pydantic import ValidationError

from archsim.errors import ConfigError
from archsim.workload.graph import Workload, build_workload, format_errors
from archsim.workload.ops import OpBase
from archsim.workload.tensor import Tensor


class GraphBuilder:
    """Collects tensors and ops; :meth:`build` validates the whole graph once."""

    def __init__(self, name: str, dtype: str = "fp16") -> None:
        self.name = name
        self.dtype = dtype
        self.tensors: dict[str, Tensor] = {}
        self.ops: list[OpBase] = []
        self.notes: list[str] = []

    def tensor(
        self,
        name: str,
        shape: tuple[int, ...] | list[int],
        role: str = "activation",
        dtype: str | None = None,
        **fields,
    ) -> str:
        """Declare a tensor (once) and return its name."""
        if name in self.tensors:
            raise ConfigError(f"{self.name}: tensor {name!r} declared twice")
        try:
            self.tensors[name] = Tensor(
                name=name, shape=tuple(shape), dtype=dtype or self.dtype, role=role, **fields
            )
        except ValidationError as exc:
            raise ConfigError(
                f"{self.name}: tensor {name!r} is invalid\n{format_errors(exc)}"
            ) from None
        return name

    def op(self, cls: type[OpBase], name: str, inputs: list[str], outputs: list[str], **fields):
        """Append an op; errors name the op and the field."""
        try:
            op = cls(name=name, inputs=inputs, outputs=outputs, **fields)
        except ValidationError as exc:
            kind = cls.model_fields["kind"].default
            raise ConfigError(
                f"{self.name}: op {name!r} ({kind}) is invalid\n{format_errors(exc)}"
            ) from None
        self.ops.append(op)
        return op

    def build(self) -> Workload:
        return build_workload(
            {"name": self.name, "tensors": self.tensors, "ops": self.ops, "notes": self.notes},
            self.name,
        )
