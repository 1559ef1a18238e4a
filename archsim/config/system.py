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
    ParallelConfig,
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
    pim_memory: DramConfig | None = Field(
        None,
        description="the memory devices the in-memory unit lives in, when they are not the"
        " host's memory (AttAcc-style attention devices beside a GPU); default: in `memory`",
    )
    pim_link: LinkConfig | None = Field(
        None, description="the link between the host and `pim_memory` (per device)"
    )
    parallel: ParallelConfig = ParallelConfig()
    interconnect: LinkConfig | None = Field(
        None,
        description="device-to-device fabric for collectives (per device: NVLink-, PCIe- or"
        " CXL-class); needed when `parallel` spans more than one device",
    )
    mapping: MappingConfig = MappingConfig()
    energy: str | None = Field(None, description="energy table preset in configs/energy/")
    tco: TcoConfig | None = Field(
        None, description="cost and carbon parameters (`base: default` starts from configs/tco/)"
    )
    baseline_system: str | None = Field(
        None,
        alias="baseline",
        description="the Von Neumann system this one is compared with: a preset name or a YAML"
        " path; default: this system's twin without `pim`",
    )

    @model_validator(mode="after")
    def _devices(self) -> SystemConfig:
        if (self.pim_memory is None) != (self.pim_link is None):
            raise FieldError(
                "pim_link" if self.pim_link is None else "pim_memory",
                "`pim_memory` and `pim_link` go together: give both or neither",
            )
        if self.pim_memory is not None and self.pim is None:
            raise FieldError("pim_memory", "a separate in-memory device needs a `pim` unit")
        if self.parallel.devices > 1 and self.interconnect is None:
            raise FieldError(
                "interconnect",
                f"parallel spans {self.parallel.devices} devices; give the fabric between them",
            )
        return self

    @property
    def unit_memory(self) -> DramConfig:
        """The memory the in-memory unit computes in."""
        return self.pim_memory if self.pim_memory is not None else self.memory

    @model_validator(mode="after")
    def _pim_fits_memory(self) -> SystemConfig:
        pim, org = self.pim, self.unit_memory.organization
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
        """The twin: the same memory, host and links, with no in-memory compute (a named
        ``baseline`` is resolved by the system layer, which loads presets). Sub-batches exist
        to overlap the host with the in-memory unit, so the twin runs the batch whole."""
        return self.model_copy(
            update={
                "mapping": self.mapping.model_copy(update={"sub_batches": 1}),
                "pim": None,
                "pim_memory": None,
                "pim_link": None,
                "name": f"{self.name} (baseline)",
                "baseline_system": None,
            }
        )

    def require_run_parts(self) -> None:
        """Raise a FieldError naming what ``archsim run`` needs and this system lacks."""
        for field in ("host", "host_link", "energy"):
            if getattr(self, field) is None:
                raise FieldError(
                    field,
                    f"system {self.name!r} has no {field}; `archsim run` needs a host NPU, its"
                    " host link and an energy table (memory-only presets are for `replay`)",
                )
