"""Valid dotted parameter paths, so an unknown one is an error naming the closest valid ones."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel

from archsim.config.system import SystemConfig
from archsim.errors import ConfigError

_MAX_DEPTH = 6  # deeper than any config nesting; guards against recursive models


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic models an annotation can hold (through Optional, unions and Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _is_mapping(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_is_mapping(a) for a in typing.get_args(annotation))
    return origin is dict or annotation is dict


def model_paths(model: type[BaseModel], prefix: str = "", depth: int = 0) -> dict[str, bool]:
    """Every dotted field path of ``model``; the value says whether free keys may follow (dict)."""
    out: dict[str, bool] = {}
    for name, field in model.model_fields.items():
        for key in {name, field.alias or name}:
            path = f"{prefix}{key}"
            out[path] = _is_mapping(field.annotation)
            if depth < _MAX_DEPTH:
                for sub in _models_in(field.annotation):
                    out.update(model_paths(sub, f"{path}.", depth + 1))
    return out


SYSTEM_PATHS = model_paths(SystemConfig)


def check_path(path: str, valid: dict[str, bool], what: str) -> None:
    """Raise a ConfigError naming the closest valid paths if ``path`` is not one of ``valid``."""
    if path in valid and not any(p.startswith(f"{path}.") for p in valid):
        return
    parts = path.split(".")
    for i in range(1, len(parts)):
        if valid.get(".".join(parts[:i])):
            return  # a key inside a dict-valued field (e.g. host.macs_per_pe.fp16)
    leaves = [p for p in valid if not any(q.startswith(f"{p}.") for q in valid)]
    close = difflib.get_close_matches(path, leaves, n=3, cutoff=0.5)
    if not close:
        last = parts[-1]
        close = [p for p in leaves if p.rsplit(".", 1)[-1] == last][:3]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    if path in valid:
        raise ConfigError(f"parameters.{path}: {what} {path!r} is a section, not a value{hint}")
    raise ConfigError(f"parameters.{path}: unknown {what} {path!r}{hint}")


def workload_paths(generator: str) -> dict[str, bool]:
    """Fields of a workload generator's spec, as ``workload.<field>`` paths."""
    from archsim.workload.presets import WorkloadPreset

    spec_models = _models_in(WorkloadPreset.model_fields["spec"].annotation)
    for model in spec_models:
        literal = model.model_fields["generator"].annotation
        if generator in typing.get_args(literal):
            return {f"workload.{k}": v for k, v in model_paths(model).items() if k != "generator"}
    return {}
