"""One side of a comparison: a workload mapped, costed and run on one system's engine.

The steps are the data flow of docs/design.md section 3: place every op (:mod:`archsim.mapping`),
cost one execution of each on its unit (host: :mod:`archsim.host.execute`; in-memory: the
system's unit kind, :mod:`archsim.pim.units`) as demands and action counts, run the demands
on the system engine (:mod:`archsim.system.engine`), then report time, energy, bytes, busy
fractions and per-unit throughput from the simulated timeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from archsim.config.energy import EnergyTable
from archsim.config.system import SystemConfig
from archsim.energy.ledger import EnergyModel
from archsim.engine.actions import DEVICE_PREFIX, Ledger
from archsim.engine.demands import Hold, demands, stage
from archsim.errors import ConfigError
from archsim.host.execute import Remote, run_on_host
from archsim.mapping.passes import revise
from archsim.mapping.policy import Placement, place, reassign
from archsim.pim.units import unit_of
from archsim.records.run import OpRecord, SideReport, UnitUse
from archsim.system.engine import OpJob, SystemEngine, Timeline, switching_capacity
from archsim.system.parallel import Collective, ring_bytes, ring_steps, shard
from archsim.system.subbatch import batch_rows, part, split, sub_batch_of
from archsim.system.unroll import fold_spans, unroll
from archsim.workload.graph import Workload


@dataclass
class SideResult:
    report: SideReport
    placement: Placement
    ledger: Ledger = field(default_factory=Ledger)
    timeline: Timeline | None = None
    workload: Workload | None = None  # what one device ran (its tensor-parallel shard)


def _op_key(op, workload: Workload, onchip: frozenset[str], unit: str) -> str:
    """Ops that differ only in names cost the same: cache by everything else."""
    body = op.model_dump(exclude={"name", "inputs", "outputs", "repeat", "offload"})
    tensors = [
        (workload.tensors[t].model_dump(exclude={"name", "copies"}), t in onchip)
        for t in [*op.inputs, *op.outputs]
    ]
    return json.dumps([unit, body, tensors], sort_keys=True, default=str)


_DEVICE_RESOURCES = {"channels": "pim_channels", "link": "pim_link"}


@dataclass(frozen=True)
class Models:
    """The energy models of one side: the host's memory and link, and a separate in-memory
    device's memory and link when the system has one."""

    host: EnergyModel
    device: EnergyModel | None = None

    @classmethod
    def of(cls, system: SystemConfig, table: EnergyTable) -> Models:
        assert system.host_link is not None
        fabric = system.interconnect.energy_pj_per_bit if system.interconnect else 0.0
        host = EnergyModel(
            table, system.memory, system.host_link.energy_pj_per_bit, interconnect_pj_per_bit=fabric
        )
        device = None
        if system.pim_memory is not None:
            assert system.pim_link is not None
            device = EnergyModel(
                table, system.pim_memory, system.pim_link.energy_pj_per_bit, link_name="pim_link"
            )
        return cls(host, device)

    def price(self, counts: dict[str, float]) -> Ledger:
        """A side's counts priced (those tagged for the in-memory device by its model)."""
        own = {k: v for k, v in counts.items() if not k.startswith(DEVICE_PREFIX)}
        out = self.host.price(own)
        tagged = {
            k[len(DEVICE_PREFIX) :]: v for k, v in counts.items() if k.startswith(DEVICE_PREFIX)
        }
        if tagged:
            if self.device is None:
                raise KeyError("counts of an in-memory device, but the system has none")
            out.add(self.device.price(tagged), prefix=DEVICE_PREFIX)
        return out


def unit_view(system: SystemConfig) -> SystemConfig:
    """The system as its in-memory unit sees it: a separate device's memory and link."""
    if system.pim_memory is None:
        return system
    return system.model_copy(update={"memory": system.pim_memory, "host_link": system.pim_link})


class _Coster:
    """One execution of each op on its unit, cached by shape for digital units."""

    def __init__(self, system, workload, models: Models, fidelity, seed) -> None:
        self.system, self.workload, self.models = system, workload, models
        self.view = unit_view(system)
        self.fidelity, self.seed = fidelity, seed
        self.unit = unit_of(system) if system.pim is not None else None
        self.cache: dict[str, object] = {}
        # With a separate in-memory device the KV cache lives there (check_fits places it so):
        # the host reaches it over the device's link.
        self.remote = None
        if system.pim_memory is not None and models.device is not None:
            kv = frozenset(n for n, t in workload.tensors.items() if t.role == "kv_cache")
            self.remote = Remote(kv, models.device)
        self.errors: dict[str, float] = {}

    def _unit_cost(self, op, onchip):
        energy = self.models.device or self.models.host
        result, error = self.unit.cost(
            self.view, op, self.workload, energy, onchip, self.fidelity, self.seed
        )
        if self.view is not self.system and result.demands is not None:
            result = replace(result, demands=result.demands.renamed(_DEVICE_RESOURCES))
        return result, error

    def cost(self, op, where: str, onchip: frozenset[str]):
        if where == "memory" and self.unit is not None and not self.unit.timed_policy:
            # Not cached by shape: each op's weights get their own noise draw.
            result, error = self._unit_cost(op, onchip)
            if error is not None:
                self.errors[op.name] = error
            return result
        key = _op_key(op, self.workload, onchip, where)
        if key not in self.cache:
            if where == "host":
                self.cache[key] = run_on_host(
                    self.system, op, self.workload, self.models.host, onchip, self.fidelity,
                    self.remote,
                )  # fmt: skip
            else:
                assert self.unit is not None
                self.cache[key], _ = self._unit_cost(op, onchip)
        return self.cache[key]


def _collective_job(system: SystemConfig, c: Collective, ledger: Ledger, energy: EnergyModel):
    """A ring collective over the device fabric: bytes at the fabric's rate, a hop latency per
    step (each device sends the same, so one device's share is simulated)."""
    fabric = system.interconnect
    assert fabric is not None
    devices = system.parallel.tensor
    sent = ring_bytes(c.kind, c.nbytes, devices)
    energy.interconnect(ledger, sent)
    need = demands(
        stage(Hold("interconnect", sent / fabric.bandwidth_bytes_per_s * 1e9)),
        stage(Hold("delay", ring_steps(c.kind, devices) * fabric.latency_ns)),
    )
    return need


def run_side(
    system: SystemConfig,
    workload: Workload,
    table: EnergyTable,
    fidelity: str = "fast",
    seed: int = 0,
) -> SideResult:
    """Simulate ``workload`` on one system (a baseline, or a system with in-memory compute).

    With ``parallel.tensor`` t > 1 the engine runs one device's shard (:func:`archsim.system.
    parallel.shard`) and its collectives; with ``parallel.pipeline`` p > 1 the stages run the
    layers one after another, handing activations on over the fabric. Energy, bytes and FLOPs
    are totals over all ``t x p`` devices.
    """
    assert system.host is not None and system.host_link is not None
    par = system.parallel
    whole = workload
    # A batch smaller than the micro-batch count runs one sequence per micro-batch.
    micro = min(par.micro_batches, batch_rows(whole))
    one = part(whole, micro)  # one micro-batch (the whole batch without micro-batches)
    workload, collectives = shard(split(one, system.mapping.sub_batches), par.tensor)
    placement = place(system, workload)
    models = Models.of(system, table)
    energy = models.host
    coster = _Coster(system, workload, models, fidelity, seed)
    unit = coster.unit
    if unit is not None:
        placement = revise(system, workload, placement, energy, seed)
        unit.check_capacity(
            system, [op for op in workload.ops if placement.unit[op.name] == "memory"]
        )
        if system.mapping.policy == "cost" and unit.timed_policy:
            placement = _by_time(system, workload, placement, coster)
    costs = {
        op.name: coster.cost(op, placement.unit[op.name], placement.onchip) for op in workload.ops
    }

    unit_name = system.pim.kind if system.pim is not None else "host"
    producer = {t: op.name for op in workload.ops for t in op.outputs}
    reduced = {c.tensor: c.name for c in collectives if c.kind == "all-reduce"}
    jobs = []
    for op in workload.ops:
        after = []
        for t in op.inputs:
            src = producer.get(t, op.name)
            if src != op.name:
                after.append(reduced.get(t, src))
        where = "host" if placement.unit[op.name] == "host" else unit_name
        jobs.append(
            OpJob(
                op.name,
                tuple(dict.fromkeys(after)),
                where,
                costs[op.name].demands,
                op.repeat,
                sub_batch_of(op.name),
            )
        )
    fabric = Ledger()
    for c in collectives:
        need = _collective_job(system, c, fabric, energy)
        for _ in range(c.repeat - 1):
            _collective_job(system, c, fabric, energy)
        jobs.append(
            OpJob(c.name, (c.after,), "interconnect", need, c.repeat, sub_batch_of(c.after))
        )
    if par.pipeline > 1:
        jobs.append(_pipeline_job(system, one, jobs, fabric, energy))
    capacity = (
        switching_capacity(unit.mode_switch_ns(system), system.mapping.pim_quantum_ns)
        if unit is not None and system.pim_memory is None
        else None
    )
    engine = SystemEngine(capacity) if capacity else SystemEngine()
    # Sub-batches interleave layer by layer, which folded layers cannot show.
    timeline = engine.run(unroll(jobs) if system.mapping.sub_batches > 1 else jobs)
    # The engine ran one micro-batch through every stage. In continuous decoding the stages
    # stay full: a step is max(m, p) stage times (stages taken as equal, each 1/p of the run).
    stages = par.pipeline
    time_ns = timeline.makespan_ns * max(micro, stages) / stages
    seconds = time_ns * 1e-9

    # One device's work, times the tensor-parallel group and the micro-batches; every device
    # idles or works for the whole step (wall-time energy per device).
    ledger = Ledger()
    records = []
    spans = fold_spans(timeline.ops)
    flops = {"host": 0.0, "memory": 0.0}
    copies = par.tensor * micro  # tensor-parallel devices x micro-batches of a step
    for op in workload.ops:
        cost = costs[op.name]
        where = placement.unit[op.name]
        device = where == "memory" and models.device is not None
        own = Ledger()
        own.add(cost.ledger, op.repeat * copies, prefix=DEVICE_PREFIX if device else "")
        ledger.add(own)
        flops[where] += op.flops() * op.repeat * copies
        span = spans[op.name]
        records.append(
            OpRecord(
                name=op.name,
                kind=op.kind,
                unit="host" if where == "host" else unit_name,
                repeat=op.repeat,
                time_ns=cost.time_ns * op.repeat,
                energy_pj=sum(own.energy.values()),
                host_link_bytes=cost.ledger.bytes.get("host_link", 0.0) * op.repeat * copies,
                bound=cost.bound,
                start_ns=span.start_ns,
                end_ns=span.end_ns,
                counts=dict(sorted(own.counts.items())),
            )
        )
    ledger.add(fabric, copies)
    devices = par.devices
    wall = Ledger()
    energy.run_time(wall, seconds, pim=system.pim is not None and models.device is None)
    if models.device is not None:
        device_wall = Ledger()
        models.device.run_time(device_wall, seconds, pim=True, host=False)
        wall.add(device_wall, prefix=DEVICE_PREFIX)
    ledger.add(wall, devices)
    # Per device: each of the p stages does 1/p of the engine's busy time per micro-batch.
    busy = {
        r: (b * micro / stages / time_ns if time_ns else 0.0) for r, b in timeline.busy_ns.items()
    }
    host_peak = system.host.total_peak_flops("fp16") * devices  # arrays and vector unit
    units = {
        "host": UnitUse(
            flops=flops["host"],
            achieved_flops=flops["host"] / seconds if seconds else 0.0,
            peak_flops=host_peak,
            busy_fraction=busy["host"],
        )
    }
    if unit is not None:
        resource = unit.busy_resource(coster.view)
        if resource == "channels" and models.device is not None:
            resource = "pim_channels"
        mem_busy = busy[resource]
        units[unit_name] = UnitUse(
            flops=flops["memory"],
            achieved_flops=flops["memory"] / seconds if seconds else 0.0,
            peak_flops=unit.peak_flops(coster.view) * devices,
            busy_fraction=mem_busy,
        )
    main = unit_name if unit is not None else "host"
    moved = {
        "host_link": ledger.bytes.get("host_link", 0.0),
        "dram_internal": ledger.bytes.get("dram_internal", 0.0),
    }
    for extra in ("pim_link", "interconnect"):
        if ledger.bytes.get(extra):
            moved[extra] = ledger.bytes[extra]
    report = SideReport(
        time_ns=time_ns,
        devices=devices,
        energy_pj=ledger.energy_report(),
        bytes_moved=moved,
        peak_bandwidth_gbps=system.host_link.bandwidth_bytes_per_s / 1e9 * devices,
        peak_flops=units[main].peak_flops,
        unit_bandwidth_gbps=(
            unit.operand_bandwidth_gbps(coster.view) * devices
            if unit is not None and unit.operand_bandwidth_gbps(coster.view) is not None
            else None
        ),
        achieved_flops=units[main].achieved_flops,
        units=units,
        busy=busy,
        switch_loss_ns=timeline.switch_loss_ns,
        counts=dict(sorted(ledger.counts.items())),
        ops=records,
        accuracy=_accuracy(workload, coster.errors) if coster.errors else None,
        programming=unit.programming(system, workload, costs) if unit is not None else None,
        warnings=list(getattr(placement, "warnings", [])),
    )
    return SideResult(report, placement, ledger, timeline, workload)


def _pipeline_job(system, workload, jobs, ledger: Ledger, energy: EnergyModel) -> OpJob:
    """Pipeline stages run one after another on a batch: p - 1 hand-offs of the activations
    between stages over the fabric, after the last op (the critical path is the sum)."""
    fabric = system.interconnect
    assert fabric is not None
    hops = system.parallel.pipeline - 1
    # What crosses a stage boundary is the residual stream: the output of a layer's last op.
    layer_ops = [op for op in workload.ops if op.repeat > 1]
    hidden = (
        sum(workload.tensors[t].stored_bytes for t in layer_ops[-1].outputs) if layer_ops else 0
    )
    for _ in range(hops):
        energy.interconnect(ledger, hidden)
    need = demands(
        stage(Hold("interconnect", hops * hidden / fabric.bandwidth_bytes_per_s * 1e9)),
        stage(Hold("delay", hops * fabric.latency_ns)),
    )
    return OpJob("pipeline-handoffs", tuple(j.name for j in jobs), "interconnect", need, 1)


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
    """Refuse a workload whose weights, KV cache and inputs exceed a device's memory, before
    any simulation: one device holds its tensor-parallel shard of ``1/pipeline`` of the layers;
    with a separate in-memory device the KV cache lives there."""
    shard_wl, _ = shard(workload, system.parallel.tensor)
    stages = system.parallel.pipeline
    layers = max((op.repeat for op in workload.ops), default=1)
    if stages > 1 and layers % stages:
        raise ConfigError(
            f"field 'parallel.pipeline': {stages} stages do not divide the {layers} layers of"
            f" workload {workload.name!r}; use a stage count that divides them, or a model whose"
            f" layers it divides"
        )
    pools = {"memory": system.memory.organization.capacity_bytes}
    if system.pim_memory is not None:
        pools["pim_memory"] = system.pim_memory.organization.capacity_bytes
    resident = dict.fromkeys(pools, 0.0)
    where = f" per device of {system.parallel.devices}" if system.parallel.devices > 1 else ""
    for name, tensor in shard_wl.tensors.items():
        if tensor.role not in ("weight", "kv_cache", "input"):
            continue
        pool = "pim_memory" if tensor.role == "kv_cache" and "pim_memory" in pools else "memory"
        # Layer tensors (copies > 1: one per layer) split over the pipeline stages.
        size = tensor.stored_bytes * tensor.copies / (stages if tensor.copies > 1 else 1)
        if size > pools[pool]:
            users = [op.name for op in shard_wl.ops if name in op.inputs]
            raise ConfigError(
                f"tensor {name!r} of op {users[0] if users else '?'} needs {size / 1e9:.2f} GB"
                f"{where} but {system.name}'s {pool} (field {pool}.organization) holds"
                f" {pools[pool] / 1e9:.2f} GB"
            )
        resident[pool] += size
    for pool, used in resident.items():
        if used > pools[pool]:
            raise ConfigError(
                f"workload {workload.name!r} keeps {used / 1e9:.2f} GB of"
                f" {'KV cache' if pool == 'pim_memory' else 'weights, KV cache and inputs'}"
                f"{where} in {pool}, more than {system.name}'s {pools[pool] / 1e9:.2f} GB"
                f" (field {pool}.organization: add stacks or channels, or field parallel:"
                " split the model over more devices)"
            )
