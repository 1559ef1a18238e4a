"""Typed, validated configuration: units at the boundary, presets, and the system schema."""

from archsim.config.dram import ControllerConfig, CycleTimings, DramConfig, Organization
from archsim.config.presets import list_presets, load_system
from archsim.config.system import SystemConfig

__all__ = [
    "ControllerConfig",
    "CycleTimings",
    "DramConfig",
    "Organization",
    "SystemConfig",
    "list_presets",
    "load_system",
]
