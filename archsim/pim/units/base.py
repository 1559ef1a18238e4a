"""What unit kinds share: checking an op's kind against the unit's list and its config."""

from __future__ import annotations


def check_kind(unit, system, op) -> tuple[bool, str]:
    """Whether ``op.kind`` is one the unit runs (by design and by the config's ``ops``)."""
    kinds = unit.op_kinds(system)
    if op.kind not in kinds:
        return False, f"a {system.pim.kind} unit runs {', '.join(sorted(kinds))}"
    return True, ""


def configured(system, design: set[str]) -> set[str]:
    """The design's op kinds narrowed to the config's ``pim.ops`` (when it lists any)."""
    ops = system.pim.ops
    return design & set(ops) if ops else set(design)


class UnitDefaults:
    """What a unit kind does when it has nothing special to say: no capacity limit beyond the
    memory's, no mode switch, no programming to report."""

    def check_capacity(self, system, ops: list) -> None:
        return None

    def mode_switch_ns(self, system) -> float:
        return 0.0

    def programming(self, system, workload, costs):
        return None

    def busy_resource(self, system) -> str:
        return "unit"
