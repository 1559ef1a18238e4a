"""The schema of a generator-style workload (``generator: gemm`` and its arguments) and running it.

Each generator's spec model is derived from its declaration in :mod:`archsim.workload.catalog`;
:func:`workload_from_spec` validates a mapping (a preset file, an inline sweep workload, a YAML
trace that names a generator) and runs the generator, then pruning and quantization.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Annotated, Any, Literal, Union

from pydantic import Field, ValidationError, create_model

from archsim.config.base import Model
from archsim.config.presets import format_validation_error
from archsim.errors import ConfigError
from archsim.workload.catalog import GENERATORS, Generator
from archsim.workload.graph import Workload
from archsim.workload.tensor import DType


class QuantizeSpec(Model):
    weights: DType | None = None
    kv_cache: DType | None = None
    activations: DType | None = None
    group_size: int | None = Field(None, ge=1)


class _Spec(Model):
    description: str = ""
    name: str | None = None
    quantize: QuantizeSpec | None = None
    prune: float | str | None = None
    prune_format: Literal["bitmap", "csr"] = "bitmap"

    @abstractmethod
    def generate(self) -> Workload:
        """The workload this spec describes (each generator kind implements it)."""

    def args(self, *skip: str) -> dict[str, Any]:
        common = {"generator", "description", "quantize", "prune", "prune_format", *skip}
        return {k: getattr(self, k) for k in type(self).model_fields if k not in common}


class _GeneratedSpec(_Spec):
    """A spec whose fields come from a :class:`~archsim.workload.catalog.Generator`."""

    def generate(self) -> Workload:
        return GENERATORS[self.generator].function()(**self.args())  # type: ignore[attr-defined]


def _spec_model(gen: Generator) -> type[_GeneratedSpec]:
    """The preset schema of one generator, from its declaration."""
    fields: dict[str, Any] = {"generator": (Literal[gen.name], ...)}
    for p in gen.params:
        kind: Any = DType if p.dtype else Literal[p.choices] if p.choices else p.type
        fields[p.name] = (kind | None if p.optional else kind, p.default)
    title = "".join(part.title() for part in gen.name.split("_"))
    return create_model(f"{title}Spec", __base__=_GeneratedSpec, **fields)


SPEC_MODELS: dict[str, type[_GeneratedSpec]] = {
    name: _spec_model(gen) for name, gen in GENERATORS.items()
}
GeneratorSpec = Annotated[Union[tuple(SPEC_MODELS.values())], Field(discriminator="generator")]  # noqa: UP007


class WorkloadPreset(Model):
    """Root model of a generator-style workload YAML."""

    spec: GeneratorSpec


def workload_from_spec(data: dict[str, Any], label: str = "workload") -> Workload:
    """Run the generator a preset mapping names; errors name the field."""
    generator = data.get("generator")
    if generator not in GENERATORS:
        raise ConfigError(
            f"{label}: generator: {generator!r} is not one of {', '.join(GENERATORS)}"
        )
    try:
        spec = WorkloadPreset.model_validate({"spec": data}).spec
    except ValidationError as exc:
        details = format_validation_error(exc).replace(f"spec.{generator}.", "")
        raise ConfigError(f"{label}: invalid workload preset\n{details}") from None
    try:
        workload = spec.generate()
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}") from None
    if spec.prune is not None:
        from archsim.workload.quantize import prune

        workload = prune(workload, spec.prune, spec.prune_format)
    if spec.quantize is not None:
        from archsim.workload.quantize import quantize

        workload = quantize(workload, **spec.quantize.model_dump())
    return workload
