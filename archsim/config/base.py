"""Shared pydantic base and the error type that carries a config field path."""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator


def _numeric(annotation: Any) -> bool:
    """True for int/float annotations (through Annotated and unions) that do not admit a bool."""
    if annotation is bool:
        return False
    if annotation in (int, float):
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _numeric(args[0])
    if origin in (typing.Union, types.UnionType):
        return not any(a is bool for a in args) and any(_numeric(a) for a in args)
    return False


@cache
def _numeric_keys(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(key as written, field name) of every numeric field, by alias and by name."""
    out = []
    for name, info in model.model_fields.items():
        if _numeric(info.annotation):
            out.append((name, name))
            if info.alias and info.alias != name:
                out.append((info.alias, info.alias))
    return tuple(out)


class Model(BaseModel):
    """Frozen, strict-keys base for every config model (gem5-style typed parameters)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data: Any) -> Any:
        # pydantic's lax mode reads true as 1: `--set host_link.width=true` ran with a 1-bit link.
        if isinstance(data, dict):
            for key, label in _numeric_keys(cls):
                if isinstance(data.get(key), bool):
                    raise FieldError(label, f"expected a number, got {data[key]!r}")
        return data


class FieldError(ValueError):
    """A cross-field check that failed; ``field`` names the offending field within the model.

    Raised inside model validators so that the user-facing message can give the full dotted path
    (``memory.timing.tRC``) rather than only the model that holds it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
