"""Workload presets: a name in ``configs/workloads/`` or a file, to a Workload.

A workload YAML either lists ``tensors`` and ``ops`` (an operator trace), or names a generator
and its arguments::

    generator: llm
    model: llama2-7b
    phase: decode
    batch: 1
    context: 2048
    dtype: fp16

Optional on every generator: ``quantize`` (weights / kv_cache / activations dtypes, group_size)
and ``prune`` (a sparsity such as 0.5 or "2:4", and ``prune_format``).
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import Field, ValidationError, create_model

from archsim.config.base import Model
from archsim.config.presets import format_validation_error, list_presets, preset_text
from archsim.config.yaml_text import parse_yaml
from archsim.errors import ConfigError
from archsim.workload.catalog import GENERATORS, Generator
from archsim.workload.graph import Workload, build_workload
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


def list_workloads() -> list[str]:
    return list_presets("workloads")


def load_workload(name_or_path: str | Path, **overrides: Any) -> Workload:
    """A workload preset name, or a YAML / JSONL / Parquet operator-trace file.

    ``overrides`` replace fields of a generator preset (``batch=8``); a trace file takes only
    ``name``.
    """
    from archsim.workload.formats import read_workload, suffix_format

    text_name = str(name_or_path)
    path = Path(text_name)
    fmt = suffix_format(path)
    if fmt in ("jsonl", "parquet"):
        return _rename(read_workload(path), overrides, text_name)  # "no such file" if missing
    if path.is_file() and fmt != "yaml":
        return _rename(read_workload(path), overrides, text_name)
    label, text = preset_text("workloads", text_name)
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping (a generator, or tensors and ops)")
    if "generator" in data:
        return workload_from_spec({**data, **overrides}, label)
    workload = build_workload(data, label)
    return _rename(workload, overrides, label)


def _rename(workload: Workload, overrides: dict[str, Any], label: str) -> Workload:
    extra = set(overrides) - {"name"}
    if extra:
        raise ConfigError(
            f"{label}: an operator trace takes no overrides but name (got {', '.join(extra)})"
        )
    if "name" in overrides:
        return workload.model_copy(update={"name": overrides["name"]})
    return workload
