"""A simulated system: memory, host NPU, links, in-memory compute unit, mapping, energy."""

from __future__ import annotations

from pydantic import Field, model_validator

from archsim.config.base import FieldError, Model
from archsim.config.compute import (
    AimConfig,
    HbmPimConfig,
    HostConfig,
    LinkConfig,
    MappingConfig,
    PimConfig,
)
from archsim.config.dram import DramConfig
from archsim.config.tco import TcoConfig

_DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "fp8": 1, "int8": 1, "int4": 0.5}


class SystemConfig(Model):
    """Top-level system description, loaded from ``configs/systems/*.yaml`` or a user file.

    A memory-only system (the DRAM presets) is enough for ``archsim replay``. ``archsim run``
    also needs a ``host`` and its ``host_link``; the in-memory side needs ``pim``. The baseline
    twin of a system is the same system without ``pim`` (:meth:`baseline`).
    """

    name: str = Field(description="preset or user name, echoed in reports")
    description: str = ""
    sources: dict[str, str] = Field(
        default_factory=dict, description="citation labels used in the YAML comments, e.g. [D3]"
    )
    memory: DramConfig
    host: HostConfig | None = None
    host_link: LinkConfig | None = Field(
        None, description="the Von Neumann bus between memory and host"
    )
    pim: PimConfig | None = None
    mapping: MappingConfig = MappingConfig()
    energy: str | None = Field(None, description="energy table preset in configs/energy/")
    tco: TcoConfig | None = Field(
        None, description="cost and carbon parameters (`base: default` starts from configs/tco/)"
    )

    @model_validator(mode="after")
    def _pim_fits_memory(self) -> SystemConfig:
        pim, org = self.pim, self.memory.organization
        if isinstance(pim, HbmPimConfig):
            if org.banks % pim.banks_per_unit:
                raise FieldError(
                    "pim.banks_per_unit",
                    f"{pim.banks_per_unit} does not divide the {org.banks} banks per rank, so the"
                    " units cannot be placed",
                )
            width = pim.lanes * _DTYPE_BYTES[pim.dtype]
            if width != org.line_bytes:
                raise FieldError(
                    "pim.lanes",
                    f"{pim.lanes} lanes of {pim.dtype} take {width:g} B per command, but a column"
                    f" access of this memory delivers {org.line_bytes} B",
                )
        if isinstance(pim, AimConfig):
            width = pim.macs_per_bank * _DTYPE_BYTES[pim.dtype]
            if width != org.line_bytes:
                raise FieldError(
                    "pim.macs_per_bank",
                    f"{pim.macs_per_bank} MACs of {pim.dtype} take {width:g} B per command, but a"
                    f" column access of this memory delivers {org.line_bytes} B",
                )
        return self

    @model_validator(mode="after")
    def _tco_prices_the_standard(self) -> SystemConfig:
        """Price and carbon per GB are keyed by standard; a new standard brings its own."""
        if self.tco is None:
            return self
        standard = self.memory.standard
        for field, table in (
            ("memory_price", self.tco.memory_price_usd_per_gb),
            ("memory_carbon", self.tco.memory_carbon_g_per_gb),
        ):
            if standard not in table:
                raise FieldError(
                    f"tco.{field}",
                    f"has no entry for this system's memory standard {standard!r} (it has"
                    f" {', '.join(table)}); add `tco: {{{field}: {{{standard}: ...}}}}` with its"
                    " source",
                )
        return self

    def baseline(self) -> SystemConfig:
        """The same memory, host and links, with no in-memory compute."""
        return self.model_copy(update={"pim": None, "name": f"{self.name} (baseline)"})

    def require_run_parts(self) -> None:
        """Raise a FieldError naming what ``archsim run`` needs and this system lacks."""
        for field in ("host", "host_link", "energy"):
            if getattr(self, field) is None:
                raise FieldError(
                    field,
                    f"system {self.name!r} has no {field}; `archsim run` needs a host NPU, its"
                    " host link and an energy table (memory-only presets are for `replay`)",
                )
