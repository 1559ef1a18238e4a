"""One side of a comparison: a workload mapped, costed and run on one system's engine.

The steps are the data flow of DESIGN.md section 2: place every op (:mod:`archsim.mapping`),
cost one execution of each on its unit (host: :mod:`archsim.host.execute`; in-memory: the
system's unit kind, :mod:`archsim.pim.units`) as demands and action counts, run the demands
on the system engine (:mod:`archsim.system.engine`), then report time, energy, bytes, busy
fractions and per-unit throughput from the simulated timeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from archsim.config.energy import EnergyTable
from archsim.config.system import SystemConfig
from archsim.energy.ledger import EnergyModel, Ledger
from archsim.errors import ConfigError
from archsim.host.execute import run_on_host
from archsim.mapping.policy import Placement, place, reassign
from archsim.pim.units import unit_of
from archsim.report.run import OpRecord, SideReport, UnitUse
from archsim.system.engine import OpJob, SystemEngine, Timeline, switching_capacity
from archsim.workload.graph import Workload


@dataclass
class SideResult:
    report: SideReport
    placement: Placement
    ledger: Ledger = field(default_factory=Ledger)
    timeline: Timeline | None = None


def _op_key(op, workload: Workload, onchip: frozenset[str], unit: str) -> str:
    """Ops that differ only in names cost the same: cache by everything else."""
    body = op.model_dump(exclude={"name", "inputs", "outputs", "repeat", "offload"})
    tensors = [
        (workload.tensors[t].model_dump(exclude={"name", "copies"}), t in onchip)
        for t in [*op.inputs, *op.outputs]
    ]
    return json.dumps([unit, body, tensors], sort_keys=True, default=str)


class _Coster:
    """One execution of each op on its unit, cached by shape for digital units."""

    def __init__(self, system, workload, energy, fidelity, seed) -> None:
        self.system, self.workload, self.energy = system, workload, energy
        self.fidelity, self.seed = fidelity, seed
        self.unit = unit_of(system) if system.pim is not None else None
        self.cache: dict[str, object] = {}
        self.errors: dict[str, float] = {}

    def cost(self, op, where: str, onchip: frozenset[str]):
        if where == "memory" and self.unit is not None and not self.unit.timed_policy:
            # Not cached by shape: each op's weights get their own noise draw.
            result, error = self.unit.cost(
                self.system, op, self.workload, self.energy, onchip, self.fidelity, self.seed
            )
            if error is not None:
                self.errors[op.name] = error
            return result
        key = _op_key(op, self.workload, onchip, where)
        if key not in self.cache:
            if where == "host":
                self.cache[key] = run_on_host(
                    self.system, op, self.workload, self.energy, onchip, self.fidelity
                )
            else:
                assert self.unit is not None
                self.cache[key], _ = self.unit.cost(
                    self.system, op, self.workload, self.energy, onchip, self.fidelity, self.seed
                )
        return self.cache[key]


def run_side(
    system: SystemConfig,
    workload: Workload,
    table: EnergyTable,
    fidelity: str = "fast",
    seed: int = 0,
) -> SideResult:
    """Simulate ``workload`` on one system (a baseline, or a system with in-memory compute)."""
    placement = place(system, workload)
    assert system.host is not None and system.host_link is not None
    energy = EnergyModel(table, system.memory, system.host_link.energy_pj_per_bit)
    coster = _Coster(system, workload, energy, fidelity, seed)
    unit = coster.unit
    if unit is not None:
        unit.check_capacity(
            system, [op for op in workload.ops if placement.unit[op.name] == "memory"]
        )
        if system.mapping.policy == "cost" and unit.timed_policy:
            placement = _by_time(system, workload, placement, coster)
    costs = {
        op.name: coster.cost(op, placement.unit[op.name], placement.onchip) for op in workload.ops
    }

    producer = {t: op.name for op in workload.ops for t in op.outputs}
    unit_name = system.pim.kind if system.pim is not None else "host"
    jobs = [
        OpJob(
            op.name,
            tuple(
                dict.fromkeys(producer[t] for t in op.inputs if producer.get(t, op.name) != op.name)
            ),
            "host" if placement.unit[op.name] == "host" else unit_name,
            costs[op.name].demands,
            op.repeat,
        )
        for op in workload.ops
    ]
    capacity = (
        switching_capacity(unit.mode_switch_ns(system), system.mapping.pim_quantum_ns)
        if unit is not None
        else None
    )
    engine = SystemEngine(capacity) if capacity else SystemEngine()
    timeline = engine.run(jobs)
    time_ns = timeline.makespan_ns

    ledger = Ledger()
    records = []
    spans = {s.name: s for s in timeline.ops}
    flops = {"host": 0.0, "memory": 0.0}
    for op in workload.ops:
        cost = costs[op.name]
        where = placement.unit[op.name]
        ledger.add(cost.ledger, op.repeat)
        flops[where] += op.flops() * op.repeat
        span = spans[op.name]
        records.append(
            OpRecord(
                name=op.name,
                kind=op.kind,
                unit="host" if where == "host" else unit_name,
                repeat=op.repeat,
                time_ns=cost.time_ns * op.repeat,
                energy_pj=sum(cost.ledger.energy.values()) * op.repeat,
                host_link_bytes=cost.ledger.bytes.get("host_link", 0.0) * op.repeat,
                bound=cost.bound,
                start_ns=span.start_ns,
                end_ns=span.end_ns,
            )
        )
    energy.run_time(ledger, time_ns * 1e-9, pim=system.pim is not None)
    seconds = time_ns * 1e-9
    busy = timeline.busy_fraction()
    host_peak = system.host.peak_flops("fp16")
    units = {
        "host": UnitUse(
            flops=flops["host"],
            achieved_flops=flops["host"] / seconds if seconds else 0.0,
            peak_flops=host_peak,
            busy_fraction=busy["host"],
        )
    }
    if unit is not None:
        mem_busy = (
            busy["unit"]
            if unit_name in ("analog-crossbar", "dimm-buffer", "logic-die")
            else busy["channels"]
        )
        units[unit_name] = UnitUse(
            flops=flops["memory"],
            achieved_flops=flops["memory"] / seconds if seconds else 0.0,
            peak_flops=unit.peak_flops(system),
            busy_fraction=mem_busy,
        )
    main = unit_name if unit is not None else "host"
    report = SideReport(
        time_ns=time_ns,
        energy_pj=ledger.energy_report(),
        bytes_moved={
            "host_link": ledger.bytes.get("host_link", 0.0),
            "dram_internal": ledger.bytes.get("dram_internal", 0.0),
        },
        peak_bandwidth_gbps=system.host_link.bandwidth_bytes_per_s / 1e9,
        peak_flops=units[main].peak_flops,
        unit_bandwidth_gbps=unit.operand_bandwidth_gbps(system) if unit is not None else None,
        achieved_flops=units[main].achieved_flops,
        units=units,
        busy=busy,
        switch_loss_ns=timeline.switch_loss_ns,
        counts=dict(sorted(ledger.counts.items())),
        ops=records,
        accuracy=_accuracy(workload, coster.errors) if coster.errors else None,
    )
    return SideResult(report, placement, ledger, timeline)


def _by_time(system, workload, placement, coster: _Coster) -> Placement:
    """Policy ``cost``: an op the roofline sent to memory goes back to the host if it finishes
    sooner there (one execution of each, alone on this system; forced placements stay)."""
    moves = {}
    for op in workload.ops:
        if placement.unit[op.name] != "memory" or placement.reasons[op.name].startswith("forced"):
            continue
        mem = coster.cost(op, "memory", placement.onchip).time_ns
        host = coster.cost(op, "host", placement.onchip).time_ns
        if host < mem:
            moves[op.name] = f"policy 'cost': {host:,.0f} ns on the host, {mem:,.0f} ns in memory"
    return reassign(system, workload, placement, moves) if moves else placement


def _accuracy(workload: Workload, errors: dict[str, float]) -> dict[str, float]:
    """RMS relative error over analog ops (weighted by MACs x repeat) and each op's error."""
    weights = {op.name: op.macs() * op.repeat for op in workload.ops if op.name in errors}
    total = sum(weights.values()) or 1
    rms = (sum(weights[n] * e * e for n, e in errors.items()) / total) ** 0.5
    return {"rel_error_rms": rms, **{f"op:{n}": e for n, e in errors.items()}}


def check_fits(system: SystemConfig, workload: Workload) -> None:
    """Refuse a workload whose weights, KV cache and inputs exceed the system's memory."""
    capacity = system.memory.organization.capacity_bytes
    resident = 0
    for name, tensor in workload.tensors.items():
        if tensor.role in ("weight", "kv_cache", "input"):
            size = tensor.stored_bytes * tensor.copies
            if size > capacity:
                users = [op.name for op in workload.ops if name in op.inputs]
                raise ConfigError(
                    f"tensor {name!r} of op {users[0] if users else '?'} needs {size / 1e9:.2f} GB"
                    f" but {system.name}'s memory (field memory.organization) holds"
                    f" {capacity / 1e9:.2f} GB"
                )
            resident += size
    if resident > capacity:
        raise ConfigError(
            f"workload {workload.name!r} keeps {resident / 1e9:.2f} GB of weights, KV cache and"
            f" inputs in memory, more than {system.name}'s {capacity / 1e9:.2f} GB"
            " (field memory.organization: add stacks or channels)"
        )
