"""``archsim run``: a workload on the Von Neumann baseline and on the in-memory system.

Each side maps the ops (:mod:`archsim.mapping.policy`), costs one execution of each op on its
unit (host: :mod:`archsim.host.execute`; memory: :mod:`archsim.pim.execute`), then replays the
op graph as SimPy processes: an op starts once the ops producing its inputs are done and its
units are free (the host; the memory, which host streams and PIM programs share; the host link,
for ops that move bytes over it), and holds them for ``repeat`` executions. One event per op,
never per burst.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import simpy

from archsim.config.compute import AnalogCrossbarConfig, NearMemoryConfig
from archsim.config.energy import EnergyTable
from archsim.config.presets import load_system, load_yaml_model
from archsim.config.system import SystemConfig
from archsim.energy.ledger import EnergyModel, Ledger
from archsim.errors import ConfigError
from archsim.host.execute import run_on_host
from archsim.interconnect.link import Link
from archsim.mapping.policy import Placement, place, reassign
from archsim.pim.execute import run_in_bank, run_near_memory
from archsim.report.run import Comparison, OpRecord, RunReport, SideReport
from archsim.version import __version__
from archsim.workload.formats import write_jsonl
from archsim.workload.graph import Workload


@dataclass
class SideResult:
    report: SideReport
    placement: Placement
    ledger: Ledger = field(default_factory=Ledger)


def _op_key(op, workload: Workload, onchip: frozenset[str], unit: str) -> str:
    """Ops that differ only in names cost the same: cache by everything else."""
    body = op.model_dump(exclude={"name", "inputs", "outputs", "repeat", "offload"})
    tensors = [
        (workload.tensors[t].model_dump(exclude={"name", "copies"}), t in onchip)
        for t in [*op.inputs, *op.outputs]
    ]
    return json.dumps([unit, body, tensors], sort_keys=True, default=str)


def _in_bank_units(system: SystemConfig) -> tuple[int, float]:
    """An in-bank design's units (HBM-PIM: one per bank pair; AiM: one per bank) and the
    seconds between the column commands that feed each of them 32 B of its bank."""
    from archsim.config.compute import HbmPimConfig
    from archsim.pim.cadence import pim_mac_cycles

    pim = system.pim
    org = system.memory.organization
    per_unit = pim.banks_per_unit if isinstance(pim, HbmPimConfig) else 1
    units = org.bus_channels * org.ranks * org.banks // per_unit
    return units, pim_mac_cycles(system) * org.tck_ps * 1e-12


def _peak_memory_flops(system: SystemConfig) -> float:
    pim = system.pim
    if pim is None:
        return 0.0
    if isinstance(pim, NearMemoryConfig):
        return pim.peak_flops
    if isinstance(pim, AnalogCrossbarConfig):
        from archsim.pim.analog.execute import peak_flops

        return peak_flops(pim)
    from archsim.config.compute import HbmPimConfig

    units, seconds = _in_bank_units(system)
    macs = pim.lanes if isinstance(pim, HbmPimConfig) else pim.macs_per_bank
    return units * macs * 2 / seconds


def _unit_bandwidth_gbps(system: SystemConfig) -> float | None:
    """The bandwidth an in-memory unit reads its operands at (the roof of its roofline)."""
    pim = system.pim
    if pim is None or isinstance(pim, AnalogCrossbarConfig):
        return None
    if isinstance(pim, NearMemoryConfig):
        org = system.memory.organization
        return org.peak_bandwidth_bytes_per_s * pim.internal_bandwidth_factor / 1e9
    from archsim.pim.programs import BYTES_PER_COMMAND

    units, seconds = _in_bank_units(system)
    return units * BYTES_PER_COMMAND / seconds / 1e9


def run_side(
    system: SystemConfig,
    workload: Workload,
    table: EnergyTable,
    fidelity: str = "fast",
    seed: int = 0,
) -> SideResult:
    """Simulate ``workload`` on one system (baseline or in-memory)."""
    placement = place(system, workload)
    assert system.host is not None and system.host_link is not None
    energy = EnergyModel(table, system.memory, system.host_link.energy_pj_per_bit)
    cache: dict[str, object] = {}
    costs = {}
    analog_errors: dict[str, float] = {}
    if isinstance(system.pim, AnalogCrossbarConfig):
        from archsim.pim.analog.execute import check_capacity
        from archsim.pim.analog.mapping import place_analog

        placement = place_analog(system, workload, placement, energy, seed)
        resident = [op for op in workload.ops if placement.unit[op.name] == "memory"]
        check_capacity(system.pim, resident)
    if system.mapping.policy == "cost" and not isinstance(system.pim, AnalogCrossbarConfig):
        placement = _by_time(system, workload, placement, energy, fidelity, cache)
    for op in workload.ops:
        unit = placement.unit[op.name]
        if unit == "memory" and isinstance(system.pim, AnalogCrossbarConfig):
            from archsim.pim.analog.execute import run_analog, run_closed_loop

            # Not cached by shape: each op's weights get their own noise draw.
            if op.kind in ("solve", "regression", "eigen"):
                costs[op.name], analog_errors[op.name] = run_closed_loop(
                    system, op, workload, energy, seed
                )
            else:
                costs[op.name], analog_errors[op.name] = run_analog(
                    system, op, workload, energy, placement.onchip, seed
                )
            continue
        costs[op.name] = _digital_cost(
            system, op, workload, energy, placement, unit, fidelity, cache
        )

    env = simpy.Environment()
    host = simpy.Resource(env, capacity=1)
    memory = simpy.Resource(env, capacity=1)
    link = Link(env, system.host_link)
    done: dict[str, simpy.Event] = {}
    producer = {t: op.name for op in workload.ops for t in op.outputs}

    def process(op):
        for t in op.inputs:
            if t in producer and producer[t] != op.name:
                yield done[producer[t]]
        cost = costs[op.name]
        needs = [memory] if placement.unit[op.name] == "memory" else [host, memory]
        if cost.ledger.bytes.get("host_link", 0.0):
            needs.append(link.resource)  # flows over the host link queue for it
        requests = [r.request() for r in needs]
        for req in requests:
            yield req
        yield env.timeout(cost.time_ns * op.repeat)
        for r, req in zip(needs, requests, strict=True):
            r.release(req)
        done[op.name].succeed()

    for op in workload.ops:
        done[op.name] = env.event()
    for op in workload.ops:
        env.process(process(op))
    env.run()
    time_ns = env.now

    ledger = Ledger()
    records = []
    for op in workload.ops:
        cost = costs[op.name]
        ledger.add(cost.ledger, op.repeat)
        records.append(
            OpRecord(
                name=op.name,
                kind=op.kind,
                unit="host" if placement.unit[op.name] == "host" else system.pim.kind,
                repeat=op.repeat,
                time_ns=cost.time_ns * op.repeat,
                energy_pj=sum(cost.ledger.energy.values()) * op.repeat,
                host_link_bytes=cost.ledger.bytes.get("host_link", 0.0) * op.repeat,
                bound=cost.bound,
            )
        )
    energy.run_time(ledger, time_ns * 1e-9, pim=system.pim is not None)
    flops = workload.totals().flops
    in_memory = system.pim is not None
    report = SideReport(
        time_ns=time_ns,
        energy_pj=ledger.energy_report(),
        bytes_moved={
            "host_link": ledger.bytes.get("host_link", 0.0),
            "dram_internal": ledger.bytes.get("dram_internal", 0.0),
        },
        peak_bandwidth_gbps=system.host_link.bandwidth_bytes_per_s / 1e9,
        peak_flops=_peak_memory_flops(system) if in_memory else system.host.peak_flops("fp16"),
        unit_bandwidth_gbps=_unit_bandwidth_gbps(system) if in_memory else None,
        achieved_flops=flops / (time_ns * 1e-9) if time_ns else 0.0,
        ops=records,
        accuracy=_accuracy(workload, analog_errors) if analog_errors else None,
        programming=_analog_programming(system, workload, costs),
        warnings=list(getattr(placement, "warnings", [])),
    )
    return SideResult(report, placement, ledger)


def _analog_programming(system, workload, costs):
    from archsim.pim.analog.execute import programming_report

    return programming_report(system, workload, costs)


def _digital_cost(system, op, workload, energy, placement, unit, fidelity, cache):
    """One execution of ``op`` on ``unit`` (host or a digital in-memory unit), cached by shape."""
    key = _op_key(op, workload, placement.onchip, unit)
    if key not in cache:
        if unit == "host":
            cache[key] = run_on_host(system, op, workload, energy, placement.onchip, fidelity)
        elif isinstance(system.pim, NearMemoryConfig):
            cache[key] = run_near_memory(system, op, workload, energy, placement.onchip)
        else:
            cache[key] = run_in_bank(system, op, workload, energy)
    return cache[key]


def _by_time(system, workload, placement, energy, fidelity, cache) -> Placement:
    """Policy ``cost``: an op the roofline sent to memory goes back to the host if it finishes
    sooner there (one execution of each, timed on this system; forced placements stay)."""
    moves = {}
    for op in workload.ops:
        if placement.unit[op.name] != "memory" or placement.reasons[op.name].startswith("forced"):
            continue
        args = (system, op, workload, energy, placement)
        mem = _digital_cost(*args, "memory", fidelity, cache).time_ns
        host = _digital_cost(*args, "host", fidelity, cache).time_ns
        if host < mem:
            moves[op.name] = f"policy 'cost': {host:,.0f} ns on the host, {mem:,.0f} ns in memory"
    return reassign(system, workload, placement, moves) if moves else placement


def _accuracy(workload: Workload, errors: dict[str, float]) -> dict[str, float]:
    """RMS relative error over analog ops (weighted by MACs x repeat) and each op's error."""
    weights = {op.name: op.macs() * op.repeat for op in workload.ops if op.name in errors}
    total = sum(weights.values()) or 1
    rms = (sum(weights[n] * e * e for n, e in errors.items()) / total) ** 0.5
    return {"rel_error_rms": rms, **{f"op:{n}": e for n, e in errors.items()}}


def _check_fits(system: SystemConfig, workload: Workload) -> None:
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


@dataclass
class RunResult:
    report: RunReport
    system: SystemConfig
    workload: Workload
    baseline: SideResult
    in_memory: SideResult

    def write(self, out: Path) -> None:
        """The report, the resolved configuration and the per-op details."""
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(self.report.model_dump_json(indent=2) + "\n")
        (out / "system.json").write_text(self.system.model_dump_json(indent=2, by_alias=True))
        # The operator trace itself, so `archsim run out/system.json -w out/workload.jsonl`
        # reproduces the run.
        write_jsonl(self.workload, out / "workload.jsonl")
        (out / "workload.json").write_text(
            json.dumps(
                {"name": self.workload.name, "totals": vars(self.workload.totals())},
                indent=2,
                default=str,
            )
        )
        details = {
            side: {
                op: {"unit": res.placement.unit[op], "why": res.placement.reasons[op]}
                for op in res.placement.unit
            }
            for side, res in (("baseline", self.baseline), ("in_memory", self.in_memory))
        }
        (out / "mapping.json").write_text(json.dumps(details, indent=2))


def _with_tco(
    cfg: SystemConfig, wl: Workload, b: SideReport, m: SideReport, comparison: Comparison
) -> tuple[SideReport, SideReport, Comparison]:
    """Add the cost and carbon of each side and their ratios (the baseline twin has no PIM)."""
    from archsim.energy.per_unit import tco_report
    from archsim.energy.work_units import queries_per_run, tokens_per_run

    assert cfg.tco is not None
    tokens, queries = tokens_per_run(wl), queries_per_run(wl)
    sides = []
    for system, side in ((cfg.baseline(), b), (cfg, m)):
        tco = tco_report(system, cfg.tco, side.time_ns, side.energy_pj["total"], tokens, queries)
        sides.append(side.model_copy(update={"tco": tco}))
    tb, tm = sides[0].tco.per_inference, sides[1].tco.per_inference
    comparison = comparison.model_copy(
        update={"tco_reduction": tb.cost_usd / tm.cost_usd, "carbon_reduction": tb.gco2e / tm.gco2e}
    )
    return sides[0], sides[1], comparison


def simulate(
    system: SystemConfig | str = "hbm2-pim",
    workload: Workload | str = "llama2-7b-decode",
    seed: int = 0,
    fidelity: str = "fast",
) -> RunResult:
    """Run ``workload`` on ``system``'s baseline twin and on the system itself."""
    from archsim.workload.presets import load_workload

    cfg = load_system(system) if isinstance(system, str) else system
    try:
        cfg.require_run_parts()
    except ValueError as exc:
        raise ConfigError(f"{cfg.name}: {exc}") from None
    if cfg.pim is None:
        raise ConfigError(
            f"{cfg.name}: field 'pim' is missing; `archsim run` compares a system with in-memory"
            " compute against its baseline twin"
        )
    if fidelity not in ("fast", "full"):
        raise ConfigError(f"fidelity must be 'fast' or 'full', not {fidelity!r}")
    wl = load_workload(workload) if isinstance(workload, str) else workload
    _check_fits(cfg, wl)
    assert cfg.energy is not None
    table = load_yaml_model(EnergyTable, "energy", cfg.energy)
    baseline = run_side(cfg.baseline(), wl, table, fidelity)
    in_memory = run_side(cfg, wl, table, fidelity, seed)
    b, m = baseline.report, in_memory.report
    comparison = Comparison(
        speedup=b.time_ns / m.time_ns,
        energy_reduction=b.energy_pj["total"] / m.energy_pj["total"],
        data_movement_reduction=(
            b.bytes_moved["host_link"] / m.bytes_moved["host_link"]
            if m.bytes_moved["host_link"]
            else float("inf")
        ),
    )
    if cfg.tco is not None:
        b, m, comparison = _with_tco(cfg, wl, b, m, comparison)
    report = RunReport(
        archsim_version=__version__,
        system=cfg.name,
        workload=wl.name,
        seed=seed,
        baseline=b,
        in_memory=m,
        comparison=comparison,
    )
    return RunResult(report, cfg, wl, baseline, in_memory)
