"""The result of ``archsim run``: baseline vs in-memory, and how they compare.

Keys follow docs/design.md section 5 (the interface contract).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from rich.table import Table

from archsim.records.tco import TcoReport


class OpRecord(BaseModel):
    """Where one op ran and what it cost (``repeat`` executions together)."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: str
    unit: str = Field(description="host, or the in-memory unit's kind")
    repeat: int
    time_ns: float
    energy_pj: float
    host_link_bytes: float
    bound: str = Field(description="what limited it: compute, memory, or pim")
    start_ns: float = Field(0.0, description="when its first execution started (timeline)")
    end_ns: float = Field(0.0, description="when its last execution ended (timeline)")
    counts: dict[str, float] = Field(
        default_factory=dict,
        description="the action counts its energy_pj prices (all executions, every device)",
    )


class UnitUse(BaseModel):
    """One compute unit's share of the work, from the simulated timeline."""

    model_config = ConfigDict(frozen=True)

    flops: float = Field(description="FLOPs of the ops placed on the unit")
    achieved_flops: float = Field(description="those FLOPs over the side's time, FLOP/s")
    peak_flops: float = Field(description="the unit's own peak, FLOP/s")
    busy_fraction: float = Field(description="share of the time the unit (or its channels) worked")


class SideReport(BaseModel):
    """One system (the Von Neumann baseline, or the in-memory system) running the workload."""

    model_config = ConfigDict(frozen=True)

    time_ns: float
    devices: int = Field(1, description="devices the work was split over (totals cover all)")
    energy_pj: dict[str, float] = Field(description="energy by component plus their 'total'")
    bytes_moved: dict[str, float] = Field(description="bytes per link; 'host_link' is the bus")
    peak_bandwidth_gbps: float = Field(
        description="the host links' peak over all devices, GB/s (as bytes and FLOPs are totals)"
    )
    peak_flops: float = Field(description="peak FLOP/s of the compute doing the work")
    unit_bandwidth_gbps: float | None = Field(
        None,
        description="GB/s at which the in-memory unit reads operands in memory (all its banks,"
        " or the channels behind a near-memory unit); None on the host side and for analog"
        " arrays, whose weights stay in the cells",
    )
    achieved_flops: float = Field(description="FLOP/s of the ops on the main unit (as peak_flops)")
    units: dict[str, UnitUse] = Field(
        default_factory=dict, description="per compute unit: FLOPs, achieved and peak FLOP/s, busy"
    )
    busy: dict[str, float] = Field(
        default_factory=dict,
        description="share of the time each resource (host, unit, channels, link, interconnect)"
        " had work",
    )
    switch_loss_ns: float = Field(
        0.0, description="channel time lost to mode switches between host traffic and PIM"
    )
    counts: dict[str, float] = Field(
        default_factory=dict,
        description="action counts (ACTs, column bits by where they stop, MACs by dtype, link"
        " bits, ...); `archsim reprice` prices them with another energy table",
    )
    ops: list[OpRecord] = Field(default_factory=list)
    accuracy: dict[str, float] | None = None
    programming: dict[str, float] | None = Field(
        None,
        description="analog arrays: write-verify time/energy/cells per run (closed-loop matrices)"
        " and per deployment (static weights), endurance consumed, closed-loop settling",
    )
    tco: TcoReport | None = Field(None, description="cost and carbon, when the system has `tco`")
    warnings: list[str] = Field(
        default_factory=list,
        description="mapping warnings (e.g. an op forced into analog memory although slower)",
    )


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    speedup: float = Field(description="baseline time / in-memory time")
    energy_reduction: float = Field(description="baseline energy / in-memory energy")
    data_movement_reduction: float = Field(
        description="baseline host-link bytes / in-memory host-link bytes"
    )
    tco_reduction: float | None = Field(
        None, description="baseline cost / in-memory cost of the same work (capex + opex)"
    )
    carbon_reduction: float | None = Field(
        None, description="baseline gCO2e / in-memory gCO2e of the same work"
    )


class RunReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    archsim_version: str
    system: str
    workload: str
    seed: int
    energy_table: str = Field("", description="the energy table that priced the counts")
    baseline: SideReport
    in_memory: SideReport | None = Field(
        None, description="absent when the system has no in-memory compute (reported alone)"
    )
    comparison: Comparison | None = None

    def table(self) -> Table:
        b, m = self.baseline, self.in_memory
        if m is None or self.comparison is None:
            return self._alone_table()
        t = Table(title=f"archsim run: {self.workload} on {self.system}")
        t.add_column("")
        t.add_column("baseline (host)", justify="right")
        t.add_column("in-memory", justify="right")
        t.add_column("ratio", justify="right")

        def ratio(x: float, y: float) -> str:
            return f"{x / y:.2f}x" if y else "-"

        t.add_row("time", _time(b.time_ns), _time(m.time_ns), ratio(b.time_ns, m.time_ns))
        for key in sorted(set(b.energy_pj) | set(m.energy_pj), key=_energy_order):
            x, y = b.energy_pj.get(key, 0.0), m.energy_pj.get(key, 0.0)
            if key != "total" and x == 0 and y == 0:
                continue
            label = "energy" if key == "total" else f"  {key}"
            t.add_row(label, _energy(x), _energy(y), ratio(x, y) if key == "total" else "")
        for key in sorted(set(b.bytes_moved) | set(m.bytes_moved)):
            x, y = b.bytes_moved.get(key, 0.0), m.bytes_moved.get(key, 0.0)
            t.add_row(
                f"bytes: {key}", _bytes(x), _bytes(y), ratio(x, y) if key == "host_link" else ""
            )
        t.add_row(
            "host link peak",
            f"{b.peak_bandwidth_gbps:,.0f} GB/s",
            f"{m.peak_bandwidth_gbps:,.0f} GB/s",
            "",
        )
        if m.unit_bandwidth_gbps is not None:
            t.add_row("unit read bandwidth", "", f"{m.unit_bandwidth_gbps:,.0f} GB/s", "")
        t.add_row(
            "peak / achieved compute",
            f"{_flops(b.peak_flops)} / {_flops(b.achieved_flops)}",
            f"{_flops(m.peak_flops)} / {_flops(m.achieved_flops)}",
            "",
        )
        for res in ("host", "unit", "channels", "link", "pim_channels", "pim_link", "interconnect"):
            x, y = b.busy.get(res, 0.0), m.busy.get(res, 0.0)
            if x or y:
                t.add_row(f"busy: {res}", f"{x:.0%}", f"{y:.0%}", "")
        if m.accuracy is not None and "rel_error_rms" in m.accuracy:
            # The baseline computes exactly (digital); the in-memory side's error is measured.
            t.add_row("rel. error (rms, analog)", "exact", f"{m.accuracy['rel_error_rms']:.3g}", "")
        c = self.comparison
        t.add_section()
        t.add_row("speedup", "", "", f"{c.speedup:.2f}x")
        t.add_row("energy reduction", "", "", f"{c.energy_reduction:.2f}x")
        t.add_row("data movement reduction", "", "", f"{c.data_movement_reduction:.2f}x")
        if b.tco is not None and m.tco is not None:
            _tco_rows(t, b.tco, m.tco, c)
        if m.warnings:
            t.caption = "\n".join(f"warning: {w}" for w in m.warnings)
        return t

    def _alone_table(self) -> Table:
        """A system without in-memory compute, reported on its own."""
        b = self.baseline
        t = Table(title=f"archsim run: {self.workload} on {self.system}")
        t.add_column("")
        t.add_column(self.system, justify="right")
        t.add_row("time", _time(b.time_ns))
        for key in sorted(b.energy_pj, key=_energy_order):
            if key == "total" or b.energy_pj[key]:
                t.add_row("energy" if key == "total" else f"  {key}", _energy(b.energy_pj[key]))
        for key in sorted(b.bytes_moved):
            t.add_row(f"bytes: {key}", _bytes(b.bytes_moved[key]))
        t.add_row("host link peak", f"{b.peak_bandwidth_gbps:,.0f} GB/s")
        t.add_row("peak / achieved compute", f"{_flops(b.peak_flops)} / {_flops(b.achieved_flops)}")
        for res, frac in b.busy.items():
            if frac:
                t.add_row(f"busy: {res}", f"{frac:.0%}")
        return t


def _tco_rows(t: Table, b: TcoReport, m: TcoReport, c: Comparison) -> None:
    t.add_section()
    t.add_row("device capex", f"${b.capex_usd['total']:,.0f}", f"${m.capex_usd['total']:,.0f}", "")
    t.add_row(
        "embodied carbon",
        f"{b.embodied_gco2e['total'] / 1e3:,.1f} kg",
        f"{m.embodied_gco2e['total'] / 1e3:,.1f} kg",
        "",
    )
    unit, bu, mu = "inference", b.per_inference, m.per_inference
    if b.per_1k_tokens is not None and m.per_1k_tokens is not None:
        unit, bu, mu = "1k tokens", b.per_1k_tokens, m.per_1k_tokens
    t.add_row(f"cost / {unit}", _usd(bu.cost_usd), _usd(mu.cost_usd), f"{c.tco_reduction:.2f}x")
    t.add_row(
        f"gCO2e / {unit}", f"{bu.gco2e:,.4g} g", f"{mu.gco2e:,.4g} g", f"{c.carbon_reduction:.2f}x"
    )
    t.add_row(
        f"per year, {b.devices:,} devices at {b.utilization:.0%}",
        f"{_usd(b.per_year.cost_usd)}, {b.per_year.gco2e / 1e6:,.1f} t",
        f"{_usd(m.per_year.cost_usd)}, {m.per_year.gco2e / 1e6:,.1f} t",
        "",
    )
    work, scale = ("tokens", b.tokens_per_run) if b.tokens_per_run else ("inferences", 1)
    t.add_row(
        f"  {work} served per year",
        f"{b.runs_per_year * scale:,.3g}",
        f"{m.runs_per_year * scale:,.3g}",
        f"{m.runs_per_year / b.runs_per_year:.2f}x" if b.runs_per_year else "",
    )


def _usd(x: float) -> str:
    return f"${x:,.2f}" if x >= 1 else f"${x:.3g}"


def _energy_order(key: str) -> tuple[int, str]:
    return (1 if key == "total" else 0, key)


def _time(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:,.3f} {unit}"
    return f"{ns:,.1f} ns"


def _energy(pj: float) -> str:
    for unit, scale in (("J", 1e12), ("mJ", 1e9), ("µJ", 1e6), ("nJ", 1e3)):
        if pj >= scale:
            return f"{pj / scale:,.3f} {unit}"
    return f"{pj:,.1f} pJ"


def _bytes(b: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if b >= scale:
            return f"{b / scale:,.2f} {unit}"
    return f"{b:,.0f} B"


def _flops(f: float) -> str:
    for unit, scale in (("PFLOP/s", 1e15), ("TFLOP/s", 1e12), ("GFLOP/s", 1e9)):
        if f >= scale:
            return f"{f / scale:,.1f} {unit}"
    return f"{f:,.0f} FLOP/s"
