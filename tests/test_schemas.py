"""docs/schemas.md stays true: every report field and every op field is listed there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic_core import PydanticUndefined

from archsim.records.run import Comparison, RunReport, SideReport
from archsim.workload import ops as O
from archsim.workload.ops.base import OpBase
from archsim.workload.tensor import Tensor

DOC = (Path(__file__).resolve().parents[1] / "docs" / "schemas.md").read_text()


def _section(title: str) -> str:
    match = re.search(rf"^### {re.escape(title)}\n(.*?)(?=^#|\Z)", DOC, re.S | re.M)
    assert match, f"docs/schemas.md has no section {title!r}"
    return match.group(1)


@pytest.mark.parametrize("model", [RunReport, SideReport, Comparison])
def test_every_report_field_is_documented(model):
    for name in model.model_fields:
        assert f"`{name}`" in DOC, f"{model.__name__}.{name} is not in docs/schemas.md"


def _op_kinds() -> dict[str, type]:
    kinds = {}
    for obj in vars(O).values():
        if isinstance(obj, type) and issubclass(obj, OpBase) and "kind" in obj.model_fields:
            default = obj.model_fields["kind"].default
            if isinstance(default, str) and default is not PydanticUndefined:
                kinds[default] = obj
    return kinds


def test_every_op_kind_and_field_is_documented():
    kinds = _op_kinds()
    assert len(kinds) >= 10
    for kind, model in kinds.items():
        text = _section(f"op `{kind}`")
        for name, info in model.model_fields.items():
            if name in OpBase.model_fields:
                continue
            assert f"`{info.alias or name}`" in text, f"op {kind}: field {name} not documented"
    tensor = _section("tensor")
    for name in Tensor.model_fields:
        assert f"`{name}`" in tensor
