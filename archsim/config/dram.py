"""DRAM standard as data: organization, timing table, IDD currents, and the controller.

The standard is declared by the YAML that uses it (:mod:`archsim.config.standards`); this module
lists no standard names.

Timings are given per JEDEC name (``tRCD``) either in command-clock cycles ("22nCK") or in time
("13.75ns"); :meth:`DramConfig.cycles` resolves them to integer cycles (``nRCD``), which is all the
timing kernel sees. Cross-field rules (tRC >= tRAS + tRP, ...) are checked here, once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, make_dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import (
    Field,
    PositiveFloat,
    PositiveInt,
    create_model,
    field_validator,
    model_validator,
)

from archsim.config.base import FieldError, Model
from archsim.config.standards import StandardName
from archsim.config.units import (
    Milliamps,
    PicojoulesPerBit,
    Timing,
    TransfersPerSecond,
    Volts,
)

# JEDEC rounds tX/tCK up to whole cycles; the guard absorbs float noise in values such as
# 13.75ns / 0.625ns so that an exact multiple is not pushed to the next cycle.
_ROUNDING_GUARD = 1e-6


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


class Organization(Model):
    """How one memory device set is built: channels down to columns, and its interface."""

    stacks: PositiveInt = Field(1, description="HBM stacks, or DIMMs, each with `channels`")
    channels: PositiveInt = Field(description="independent channels (per stack for HBM)")
    pseudo_channels: PositiveInt = Field(
        1,
        description="pseudo-channels per channel; each has its own data bus, banks and queues,"
        " and they share the channel's command buses (JESD235)",
    )
    ranks: PositiveInt = Field(1, description="ranks (or HBM stack IDs) per (pseudo-)channel")
    bank_groups: PositiveInt = Field(description="bank groups per rank")
    banks_per_group: PositiveInt = Field(description="banks per bank group")
    rows: PositiveInt = Field(description="rows per bank")
    columns: PositiveInt = Field(description="column addresses per row, each device_width bits")
    device_width: PositiveInt = Field(description="DQ bits per device")
    channel_width: PositiveInt = Field(description="DQ bits of one (pseudo-)channel data bus")
    burst_length: PositiveInt = Field(description="data beats per column command")
    data_rate_tps: TransfersPerSecond = Field(
        alias="data_rate", gt=0, description="transfers per second per DQ pin"
    )
    transfers_per_clock: PositiveInt = Field(
        2, description="data transfers per command-clock cycle (2 for DDR, 8 for LPDDR5 4:1 WCK)"
    )
    dual_command_bus: bool = Field(
        False, description="separate row and column command buses (one of each per cycle)"
    )
    per_bank_refresh: Literal["none", "bank", "same-bank"] = Field(
        "none",
        description="per-bank refresh the standard offers: one bank, or the same bank in every"
        " bank group (DDR5 REFsb)",
    )

    @model_validator(mode="after")
    def _check(self) -> Organization:
        # The kernel splits bank indices with shifts; other counts may be anything (the address
        # mapping is mixed-radix).
        for name in ("bank_groups", "banks_per_group", "burst_length", "columns"):
            value = getattr(self, name)
            if not _is_power_of_two(value):
                raise FieldError(name, f"must be a power of two, got {value}")
        if self.channel_width % self.device_width:
            raise FieldError(
                "channel_width",
                f"{self.channel_width} bits is not a whole number of {self.device_width}-bit"
                " devices",
            )
        if self.columns < self.burst_length:
            raise FieldError("columns", "a row must hold at least one burst")
        if self.burst_length % self.transfers_per_clock:
            raise FieldError(
                "burst_length",
                f"{self.burst_length} beats is not a whole number of clocks at"
                f" {self.transfers_per_clock} transfers per clock",
            )
        return self

    @property
    def tck_ps(self) -> float:
        """Command-clock period in picoseconds."""
        return 1e12 * self.transfers_per_clock / self.data_rate_tps

    @property
    def bus_channels(self) -> int:
        """Independent data buses the controller schedules: stacks x channels x pseudo-channels."""
        return self.stacks * self.channels * self.pseudo_channels

    @property
    def banks(self) -> int:
        """Banks per rank."""
        return self.bank_groups * self.banks_per_group

    @property
    def devices_per_rank(self) -> int:
        return self.channel_width // self.device_width

    @property
    def line_bytes(self) -> int:
        """Bytes moved by one column command (one burst on one bus channel)."""
        return self.channel_width * self.burst_length // 8

    @property
    def capacity_bytes(self) -> int:
        per_rank = self.banks * self.rows * self.columns * self.device_width * self.devices_per_rank
        return self.bus_channels * self.ranks * per_rank // 8

    @property
    def peak_bandwidth_bytes_per_s(self) -> float:
        return self.bus_channels * self.channel_width * self.data_rate_tps / 8


@dataclass(frozen=True)
class TimingParam:
    """One JEDEC timing parameter: its YAML name, what it bounds, and its default if optional.

    ``default`` computes the cycle count of an optional parameter the YAML leaves out from the
    cycles resolved before it (``n``, keyed ``nRCD``, ...) and the organization. A new timing
    parameter is one entry in :data:`TIMING_PARAMS`; the pairwise rule that uses it is one row in
    ``archsim/memory/constraints.py``.
    """

    name: str
    description: str
    default: Callable[[dict[str, int], Organization, int], int] | None = None
    yaml_default: dict[str, float] | None = None  # a literal default, shown in resolved configs


def _cycles_name(name: str) -> str:
    return "n" + name[1:]


# In resolution order: a default reads only parameters listed before it.
TIMING_PARAMS: tuple[TimingParam, ...] = (
    TimingParam("tRCD", "ACT to RD"),
    TimingParam("tRCDW", "ACT to WR (default tRCD)", lambda n, o, u: n["nRCD"]),
    TimingParam("tRP", "PRE to ACT, same bank"),
    TimingParam("tRAS", "ACT to PRE, same bank"),
    TimingParam("tRC", "ACT to ACT, same bank (default tRAS + tRP)",
                lambda n, o, u: n["nRAS"] + n["nRP"]),
    TimingParam("tCL", "RD to first data (read latency)"),
    TimingParam("tCWL", "WR to first data (write latency)"),
    TimingParam("tBL", "data burst on the bus (default burst_length / transfers_per_clock)",
                lambda n, o, u: o.burst_length // o.transfers_per_clock),
    TimingParam("tCCD_S", "column to column, different bank group"),
    TimingParam("tCCD_L", "column to column, same bank group"),
    TimingParam("tCCD_L_WR", "WR to WR, same bank group (default tCCD_L)",
                lambda n, o, u: n["nCCD_L"]),
    TimingParam("tRRD_S", "ACT to ACT, different bank group"),
    TimingParam("tRRD_L", "ACT to ACT, same bank group"),
    TimingParam("tFAW", "window holding at most four ACTs per rank"),
    TimingParam("tWR", "end of write data to PRE (write recovery)"),
    TimingParam("tWTR_S", "end of write data to RD, different bank group"),
    TimingParam("tWTR_L", "end of write data to RD, same bank group"),
    TimingParam("tRTP", "RD to PRE"),
    TimingParam("tRTW", "RD to WR turnaround (default tCL + tBL + 2 - tCWL)",
                lambda n, o, u: n["nCL"] + n["nBL"] + 2 - n["nCWL"]),
    TimingParam("tRTRS", "rank-to-rank data-bus switch", yaml_default={"cycles": 1.0}),
    TimingParam("tREFI", "average all-bank refresh interval"),
    TimingParam("tRFC", "all-bank refresh cycle time"),
    TimingParam("tREFIpb", "per-bank refresh interval (default tREFI / refresh units)",
                lambda n, o, units: max(1, n["nREFI"] // units)),
    TimingParam("tRFCpb", "per-bank refresh cycle time", lambda n, o, u: n["nRFC"]),
    TimingParam("tRREFD", "per-bank REF to per-bank REF or ACT of another bank",
                lambda n, o, u: n["nRRD_S"]),
)  # fmt: skip


def _timing_field(p: TimingParam) -> tuple[Any, Any]:
    if p.yaml_default is not None:
        default = p.yaml_default
        return Timing, Field(default_factory=lambda: dict(default), description=p.description)
    if p.default is None:
        return Timing, Field(description=p.description)
    return Timing | None, Field(None, description=p.description)


TimingTable = create_model(
    "TimingTable",
    __base__=Model,
    __doc__='JEDEC timing parameters; each in cycles ("22nCK") or time ("13.75ns").',
    **{p.name: _timing_field(p) for p in TIMING_PARAMS},
)


def _as_dict(self) -> dict[str, int]:
    return {f.name: getattr(self, f.name) for f in fields(self)}


CycleTimings = make_dataclass(
    "CycleTimings",
    [(_cycles_name(p.name), int) for p in TIMING_PARAMS],
    frozen=True,
    namespace={
        "__doc__": "Timing table resolved to whole command-clock cycles (the kernel's unit).",
        "as_dict": _as_dict,
    },
)
CycleTimings.__module__ = __name__


class PowerTable(Model):
    """IDD/IPP currents per device (Micron TN-41-01 / DRAMPower model) and I/O energy per bit."""

    vdd_v: Volts = Field(alias="vdd", gt=0)
    idd0_ma: Milliamps = Field(alias="idd0", ge=0, description="one-bank ACT-PRE current")
    idd2n_ma: Milliamps = Field(alias="idd2n", ge=0, description="precharge standby")
    idd3n_ma: Milliamps = Field(alias="idd3n", ge=0, description="active standby")
    idd4r_ma: Milliamps = Field(alias="idd4r", ge=0, description="burst read")
    idd4w_ma: Milliamps = Field(alias="idd4w", ge=0, description="burst write")
    idd5b_ma: Milliamps = Field(alias="idd5b", ge=0, description="all-bank refresh burst")
    vpp_v: Volts = Field(0.0, alias="vpp", ge=0, description="wordline pump supply (DDR4/5)")
    ipp0_ma: Milliamps = Field(0.0, alias="ipp0", ge=0)
    ipp2n_ma: Milliamps = Field(0.0, alias="ipp2n", ge=0)
    ipp3n_ma: Milliamps = Field(0.0, alias="ipp3n", ge=0)
    ipp4r_ma: Milliamps = Field(0.0, alias="ipp4r", ge=0)
    ipp4w_ma: Milliamps = Field(0.0, alias="ipp4w", ge=0)
    ipp5b_ma: Milliamps = Field(0.0, alias="ipp5b", ge=0)
    devices: PositiveFloat | None = Field(
        None,
        description="device-equivalents the currents apply to per rank (default"
        " channel_width/device_width; a fraction where currents are quoted for a wider unit, e.g."
        " an HBM2 legacy channel feeding two pseudo-channels)",
    )
    io_read_pj_per_bit: PicojoulesPerBit = Field(
        alias="io_read_energy", ge=0, description="interface energy per bit read (PHY, termination)"
    )
    io_write_pj_per_bit: PicojoulesPerBit = Field(
        alias="io_write_energy", ge=0, description="interface energy per bit written"
    )

    def act_pre_charge(self, n: CycleTimings) -> tuple[float, float]:
        """The charge (mA x cycles) one ACT and its PRE draw above standby, on VDD and on VPP:
        IDD0 over tRC less IDD3N over tRAS and IDD2N over tRP (Micron TN-41-01)."""
        n_rp = n.nRC - n.nRAS  # IDD0 is measured over one tRC = tRAS + tRP
        return (
            self.idd0_ma * n.nRC - self.idd3n_ma * n.nRAS - self.idd2n_ma * n_rp,
            self.ipp0_ma * n.nRC - self.ipp3n_ma * n.nRAS - self.ipp2n_ma * n_rp,
        )

    @model_validator(mode="after")
    def _check(self) -> PowerTable:
        if self.idd3n_ma < self.idd2n_ma:
            raise FieldError("idd3n", "active standby current must not be below IDD2N")
        for name in ("idd0", "idd4r", "idd4w", "idd5b"):
            if getattr(self, f"{name}_ma") < self.idd3n_ma:
                raise FieldError(name, f"{name.upper()} must not be below IDD3N")
        return self


MAPPING_FIELDS = ("row", "rank", "bankgroup", "bank", "column", "channel")
NAMED_MAPPINGS = {
    # Consecutive lines go to successive channels, then successive bank groups, so a stream
    # alternates bank groups and is paced by tCCD_S rather than tCCD_L.
    "bg-interleaved": "row:rank:bank:column:bankgroup:channel",
    # Ramulator 2's RoBaRaCoCh (src/addr_mapper/impl/linear_mappers.cpp): channel bits lowest,
    # then column, then the levels rank, bank group, bank and row from LSB up, so bank sits
    # above bank group: consecutive lines stay in one bank (column-low).
    "row-bank-rank-column-channel": "row:bank:bankgroup:rank:column:channel",
}


class ControllerConfig(Model):
    """Per-channel memory controller."""

    queue_depth: PositiveInt = Field(32, description="entries per read queue and per write queue")
    scheduler: Literal["frfcfs", "fcfs"] = Field(
        "frfcfs", description="FR-FCFS (row hits first, then oldest) or strict FCFS (gem5's)"
    )
    row_policy: Literal["open", "closed"] = Field(
        "open", description="keep rows open, or auto-precharge when no queued request hits the row"
    )
    address_mapping: str = Field(
        "bg-interleaved",
        description="a named mapping, or fields MSB to LSB such as"
        " 'row:rank:bank:column:bankgroup:channel'",
    )
    frontend_window: PositiveInt = Field(
        4096,
        description="requests the front end looks past the oldest one not yet admitted; 1 is a"
        " strictly in-order front end where one full queue stalls every channel",
    )
    refresh: Literal["all-bank", "per-bank", "none"] = Field(
        "all-bank", description="refresh mode; 'none' exists for closed-form validation only"
    )
    write_drain_high: float = Field(
        0.75, gt=0, le=1, description="write-queue fill that starts a write drain"
    )
    write_drain_low: float = Field(
        0.25, ge=0, lt=1, description="write-queue fill at which a drain stops if reads wait"
    )

    @field_validator("address_mapping")
    @classmethod
    def _mapping(cls, value: str) -> str:
        spec = NAMED_MAPPINGS.get(value, value)
        parts = spec.split(":")
        unknown = [p for p in parts if p not in MAPPING_FIELDS]
        if unknown:
            raise ValueError(
                f"unknown field(s) {unknown} in address mapping {value!r}; named mappings:"
                f" {', '.join(NAMED_MAPPINGS)}; or give the fields {', '.join(MAPPING_FIELDS)}"
                " MSB to LSB separated by ':'"
            )
        missing = [f for f in MAPPING_FIELDS if f not in parts]
        repeated = sorted({p for p in parts if parts.count(p) > 1})
        if missing or repeated:
            raise ValueError(
                f"address mapping {value!r} must name each of {', '.join(MAPPING_FIELDS)} exactly"
                f" once (missing: {missing or 'none'}, repeated: {repeated or 'none'})"
            )
        return value

    @property
    def mapping_fields(self) -> tuple[str, ...]:
        """Mapping fields from MSB to LSB."""
        return tuple(NAMED_MAPPINGS.get(self.address_mapping, self.address_mapping).split(":"))

    @model_validator(mode="after")
    def _check(self) -> ControllerConfig:
        if self.write_drain_low >= self.write_drain_high:
            raise FieldError("write_drain_low", "must be below write_drain_high")
        return self


class DramConfig(Model):
    """A DRAM memory system: standard, organization, timings, currents and controller."""

    standard: StandardName = Field(
        description="the standard this memory follows, e.g. DDR5 or HBM3 (any name: the YAML"
        " declares the standard, see config/standards.py)"
    )
    package: Literal["stacked", "planar"] = Field(
        "planar",
        description="stacked: 3-D stacks beside the host (HBM), counted per stack by the TCO"
        " model; planar: discrete DRAM devices",
    )
    organization: Organization
    timing: TimingTable
    power: PowerTable
    controller: ControllerConfig = ControllerConfig()

    @cached_property
    def cycles(self) -> CycleTimings:
        """Timings in whole command-clock cycles, in TIMING_PARAMS order (defaults read earlier
        ones)."""
        org, t = self.organization, self.timing
        tck = org.tck_ps
        units = self._refresh_units_per_rank()
        n: dict[str, int] = {}
        for p in TIMING_PARAMS:
            value = getattr(t, p.name)
            if value is None:
                assert p.default is not None
                cycles = p.default(n, org, units)
            elif "cycles" in value:
                cycles = math.ceil(value["cycles"] - _ROUNDING_GUARD)
            else:
                cycles = math.ceil(value["ns"] * 1000.0 / tck - _ROUNDING_GUARD)
            n[_cycles_name(p.name)] = cycles
        return CycleTimings(**n)

    def _refresh_units_per_rank(self) -> int:
        """Per-bank refresh commands needed to refresh a whole rank once."""
        org = self.organization
        return org.banks_per_group if org.per_bank_refresh == "same-bank" else org.banks

    @model_validator(mode="after")
    def _check(self) -> DramConfig:
        t = self.timing
        if self.controller.refresh == "per-bank":
            if self.organization.per_bank_refresh == "none":
                raise FieldError(
                    "controller.refresh",
                    f"{self.standard} as configured has no per-bank refresh"
                    " (organization.per_bank_refresh is 'none'); use 'all-bank' or 'none'",
                )
            if t.tRFCpb is None:
                raise FieldError("timing.tRFCpb", "per-bank refresh needs tRFCpb")
        c = self.cycles
        rules = [
            ("tRAS", c.nRAS >= c.nRCD, f"tRAS ({c.nRAS} cycles) must be at least tRCD ({c.nRCD})"),
            (
                "tRC",
                c.nRC >= c.nRAS + c.nRP,
                f"tRC ({c.nRC} cycles) must be at least tRAS + tRP ({c.nRAS} + {c.nRP})",
            ),
            ("tCCD_L", c.nCCD_L >= c.nCCD_S, "tCCD_L must be at least tCCD_S"),
            ("tRRD_L", c.nRRD_L >= c.nRRD_S, "tRRD_L must be at least tRRD_S"),
            ("tWTR_L", c.nWTR_L >= c.nWTR_S, "tWTR_L must be at least tWTR_S"),
            ("tFAW", c.nFAW >= c.nRRD_S, "tFAW must be at least tRRD_S"),
            (
                "tCCD_S",
                c.nCCD_S >= c.nBL,
                f"tCCD_S ({c.nCCD_S} cycles) shorter than the data burst tBL ({c.nBL}) would"
                " overlap bursts on the bus",
            ),
            ("tREFI", c.nREFI > c.nRFC, "tREFI must exceed tRFC"),
            (
                "tRTW",
                c.nRTW + c.nCWL >= c.nCL + c.nBL,
                "tRTW too short: write data would collide with read data on the bus",
            ),
        ]
        positive = ("nRCD", "nRP", "nRAS", "nCL", "nBL", "nCCD_S", "nRRD_S", "nREFI", "nRFC")
        for name in positive:
            if getattr(c, name) < 1:
                raise FieldError(f"timing.t{name[1:]}", "must be at least one cycle")
        for name, ok, message in rules:
            if not ok:
                raise FieldError(f"timing.{name}", message)
        vdd_charge, vpp_charge = self.power.act_pre_charge(c)
        if self.power.vdd_v * vdd_charge + self.power.vpp_v * vpp_charge <= 0:
            raise FieldError(
                "power.idd0",
                "IDD0 x tRC must exceed IDD3N x tRAS + IDD2N x tRP, else an activation would have"
                " negative energy (TN-41-01)",
            )
        return self
