"""Shared pydantic base and the error type that carries a config field path."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Frozen, strict-keys base for every config model (gem5-style typed parameters)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class FieldError(ValueError):
    """A cross-field check that failed; ``field`` names the offending field within the model.

    Raised inside model validators so that the user-facing message can give the full dotted path
    (``memory.timing.tRC``) rather than only the model that holds it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
