"""In-memory unit kinds: one protocol, one module per kind, registered by the config's ``kind``.

A unit kind answers what the rest of archsim asks of an in-memory unit: which ops it can run
(and why not), what one execution of an op demands of the system's resources and costs in
energy (:class:`archsim.engine.demands.Demands` plus a ledger), its peak FLOP/s, the bandwidth
its operands reach it at, whether the workload fits it, and what switching a channel between
host traffic and the unit costs. Adding a unit is one module in this package (it registers
itself with :func:`register`) plus its config model and YAML presets; nothing dispatches on
types elsewhere.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Protocol

from archsim.errors import ConfigError


class UnitKind(Protocol):
    """What every in-memory unit kind provides (methods take the whole system config)."""

    #: Whether the ``cost`` mapping policy times the unit's candidate ops against the host.
    timed_policy: bool

    def op_kinds(self, system) -> set[str]: ...

    def can_run(self, system, op, workload) -> tuple[bool, str]: ...

    def cost(self, system, op, workload, energy, onchip, fidelity: str, seed: int):
        """(one execution's cost with its demands, the measured relative error or None)."""

    def peak_flops(self, system) -> float: ...

    def operand_bandwidth_gbps(self, system) -> float | None: ...

    def check_capacity(self, system, ops: list) -> None: ...

    def mode_switch_ns(self, system) -> float: ...

    def programming(self, system, workload, costs) -> dict | None:
        """Programming and endurance of the run (analog), else None."""

    def busy_resource(self, system) -> str:
        """The engine resource whose busy time is the unit's (``channels`` for in-bank units
        that drive them, ``unit`` for units with a datapath of their own)."""


_UNITS: dict[str, UnitKind] = {}


def register(*kinds: str):
    """Class decorator: instances of the class serve the config kinds ``kinds``."""

    def wrap(cls):
        for kind in kinds:
            if kind in _UNITS:
                raise RuntimeError(f"unit kind {kind!r} registered twice")
            _UNITS[kind] = cls()
        return cls

    return wrap


def _load() -> None:
    if _UNITS:
        return
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def unit_of(system) -> UnitKind:
    """The unit kind of ``system.pim`` (which must be set)."""
    _load()
    kind = system.pim.kind
    try:
        return _UNITS[kind]
    except KeyError:
        raise ConfigError(
            f"field 'pim.kind': no unit module registers {kind!r}; known: {sorted(_UNITS)}"
        ) from None


def registered() -> list[str]:
    _load()
    return sorted(_UNITS)
