"""A simulated system: the memory system (and, as components land, compute and links)."""

from __future__ import annotations

from pydantic import Field

from archsim.config.base import Model
from archsim.config.dram import DramConfig


class SystemConfig(Model):
    """Top-level system description, loaded from ``configs/systems/*.yaml`` or a user file."""

    name: str = Field(description="preset or user name, echoed in reports")
    description: str = ""
    sources: dict[str, str] = Field(
        default_factory=dict, description="citation labels used in the YAML comments, e.g. [D3]"
    )
    memory: DramConfig
