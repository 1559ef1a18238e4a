"""Run a GEMV/GEMM/conv (im2col) op on analog crossbar banks inside ``archsim run``.

Static weights are resident in the tiles, written once per deployment: their write-verify
energy is charged 1/``pim.inferences_per_programming`` per run (``pim_programming``) and the whole
programming is reported beside the run (:func:`programming_report`). The activations cross the
host link in and out. Time: every input vector takes one MVM latency on one copy of the weights;
spare tiles hold copies of conv layers (``pim.conv_replication``). A workload whose static
weights need more tiles than the banks have is refused (:func:`check_capacity`): time-multiplexing
the tiles would mean reprogramming them every run.
Accuracy is measured, not assumed: the op's full weight shape (Gaussian weights, uniform inputs,
seeded by the run seed and the op) runs through its tiles, or an unbiased estimate over column
blocks with a 95% interval within ±10% (:mod:`archsim.pim.analog.accuracy`).
Closed-loop matrices are data: they are written every execution and the write is charged to it.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from archsim.config.compute import AnalogCrossbarConfig
from archsim.config.system import SystemConfig
from archsim.engine.actions import Actions, Ledger
from archsim.errors import ConfigError
from archsim.pim.analog.energy import mvm_cost
from archsim.pim.analog.presets import tile_config
from archsim.pim.execute import MemoryOpResult
from archsim.pim.shapes import gemv_shapes
from archsim.workload.graph import Workload


@dataclass(frozen=True)
class AnalogOpResult(MemoryOpResult):
    """A MemoryOpResult plus what the analog unit did: programming (time, energy, cells,
    write-verify iterations, endurance consumed), settling and its bound, refinement."""

    analog: dict[str, float] = field(default_factory=dict)


def _tile(pim: AnalogCrossbarConfig, seed: int = 0):
    return tile_config(
        pim.device,
        pim.periphery,
        pim.periphery_overrides,
        rows=pim.rows,
        cols=pim.cols,
        t_inference=pim.t_inference_s,
        compensation=pim.compensation,
        seed=seed,
    )


def static_programming(pim: AnalogCrossbarConfig, op):
    """Write-verify cost of one copy of ``op``'s static weights (all its GEMV shapes)."""
    from archsim.pim.analog.programming import write_verify_cost

    cfg = _tile(pim)
    costs = [
        write_verify_cost(cfg.device, n_in, n_out, pim.rows, 2 * cfg.periphery.weight_slices)
        for _, n_out, n_in in gemv_shapes(op)
    ]
    return costs


def run_analog(
    system: SystemConfig,
    op,
    workload: Workload,
    energy: Actions,
    onchip: frozenset[str],
    seed: int = 0,
) -> tuple[AnalogOpResult, float]:
    """One execution of ``op`` on the crossbar banks, and its measured relative error.

    Accuracy at the op's full shape through its tiles (:mod:`archsim.pim.analog.accuracy`);
    energy per input vector from the periphery and the cells' measured read energy; the static
    weights' write-verify energy charged 1/``inferences_per_programming`` per execution."""
    from archsim.pim.analog.accuracy import op_accuracy

    pim = system.pim
    if not isinstance(pim, AnalogCrossbarConfig) or system.host_link is None:
        raise ConfigError(f"system {system.name!r}: run_analog needs pim.kind analog-crossbar")
    ledger = Ledger()
    copies = replication(system, workload).get(op.name, 1)
    time_ns = 0.0
    sq_err = sq_norm = 0.0
    worst_low = worst_high = 0.0
    blocks_run = blocks = 0
    for batch, n_out, n_in in gemv_shapes(op):
        # One weight draw per shape and run seed: ops of the same shape (a model's repeated
        # projections) share it, so a 7B model measures its four shapes, not every layer.
        shape_seed = zlib.crc32(f"{seed}:{n_in}x{n_out}".encode())
        cfg = _tile(pim, shape_seed)
        est = op_accuracy(cfg, n_in, n_out, shape_seed)
        # MAC-weighted over the op's shapes (each shape's error relative to its own output).
        weight = batch * n_in * n_out
        sq_err += weight * est.rel_error**2
        sq_norm += weight
        worst_low += weight * est.low**2
        worst_high += weight * est.high**2
        blocks_run += est.blocks_run
        blocks += est.blocks
        row_tiles, col_tiles = math.ceil(n_in / pim.rows), math.ceil(n_out / pim.cols)
        cost = mvm_cost(
            cfg.periphery,
            est.cell_pj_per_weight * n_in * n_out,
            row_tiles,
            col_tiles,
            pim.rows,
            pim.cols,
            n_in,
            n_out,
        )
        # Each shape (a conv group, a batched matrix) has its own tiles, so the shapes run at
        # once; the input vectors split over the op's copies (conv weight replication).
        time_ns = max(time_ns, math.ceil(batch / copies) * cost.latency_ns)
        energy.fixed(ledger, "pim_compute", batch * cost.total_pj)
    programming = static_programming(pim, op)
    prog_pj = copies * sum(c.energy_pj for c in programming)
    energy.fixed(ledger, "pim_programming", prog_pj / pim.inferences_per_programming)
    reads = op.bytes_read(workload)
    writes = op.bytes_written(workload)
    weights = {t for t in op.inputs if workload.tensors[t].role == "weight"}
    moved = sum(v for k, v in reads.items() if k not in weights) + sum(writes.values())
    energy.link(ledger, moved)
    link_ns = moved / system.host_link.bandwidth_bytes_per_s * 1e9
    bound = "pim" if time_ns >= link_ns else "memory"
    total = max(time_ns, link_ns) + system.host_link.latency_ns
    rel = math.sqrt(sq_err / sq_norm) if sq_norm else 0.0
    detail = {
        "rel_error_low95": math.sqrt(worst_low / sq_norm) if sq_norm else 0.0,
        "rel_error_high95": math.sqrt(worst_high / sq_norm) if sq_norm else 0.0,
        "accuracy_blocks_run": float(blocks_run),
        "accuracy_blocks": float(blocks),
        "static_programming_time_ns": max((c.time_s for c in programming), default=0.0) * 1e9,
        "static_programming_energy_pj": prog_pj,
        "cells_written": float(copies * sum(c.cells for c in programming)),
        "copies": float(copies),
        "tiles": float(copies * tiles_needed(pim, op)),
        "write_verify_iterations": max((c.iterations for c in programming), default=0.0),
        "endurance_fraction": max((c.endurance_fraction for c in programming), default=0.0),
    }
    return AnalogOpResult(total, ledger, op.macs(), bound, analog=detail), rel


_PLANS: dict[tuple, dict[str, int]] = {}


def replication(system: SystemConfig, workload: Workload) -> dict[str, int]:
    """Copies of each conv layer (:mod:`archsim.pim.analog.pipeline`), once per system and
    workload: every op's cost reads it."""
    from archsim.pim.analog.pipeline import plan

    pim = system.pim
    assert isinstance(pim, AnalogCrossbarConfig)
    if pim.conv_replication == "none":
        return {}
    key = (pim.model_dump_json(), tuple(op.model_dump_json() for op in workload.ops))
    if key not in _PLANS:
        if len(_PLANS) > 16:
            _PLANS.clear()
        _PLANS[key] = plan(pim, workload, tiles_needed).copies
    return _PLANS[key]


# A closed-loop matrix takes two arrays: G = G+ - G-, negative entries through inverters
# (Sun et al., PNAS 2019).
CLOSED_LOOP_ARRAYS = 2


def tiles_needed(pim: AnalogCrossbarConfig, op) -> int:
    """Tiles that hold one execution's static weights (bit slices included).

    A closed-loop op holds its whole matrix (samples x features for a regression), at its full
    size even when it is simulated on a smaller sample, in analog conductances: no bit slices.
    """
    if op.kind in ("solve", "eigen", "regression"):
        rows, cols = (op.samples, op.features) if op.kind == "regression" else (op.n, op.n)
        return CLOSED_LOOP_ARRAYS * math.ceil(rows / pim.rows) * math.ceil(cols / pim.cols)
    slices = tile_config(
        pim.device, pim.periphery, pim.periphery_overrides, rows=pim.rows, cols=pim.cols
    ).periphery
    return sum(
        math.ceil(n_in / pim.rows) * math.ceil(n_out / pim.cols) * slices.weight_slices
        for _, n_out, n_in in gemv_shapes(op)
    )


def check_capacity(pim: AnalogCrossbarConfig, ops: list) -> None:
    """Refuse a workload whose resident weights (every repeat has its own) overflow the tiles."""
    needed = sum(tiles_needed(pim, op) * op.repeat for op in ops)
    if needed > pim.tiles:
        raise ConfigError(
            f"pim.tiles: the workload's static weights need {needed} tiles of"
            f" {pim.rows}x{pim.cols}, the system has {pim.tiles}; raise pim.tiles or keep some"
            " ops on the host (mapping overrides)"
        )


def peak_flops(pim: AnalogCrossbarConfig) -> float:
    """All tiles busy: 2·rows·cols FLOPs per tile per MVM latency."""
    cfg = tile_config(
        pim.device, pim.periphery, pim.periphery_overrides, rows=pim.rows, cols=pim.cols
    )
    latency = mvm_cost(cfg.periphery, 0.0, 1, 1, pim.rows, pim.cols, pim.rows, pim.cols).latency_ns
    return pim.tiles * 2 * pim.rows * pim.cols / (latency * 1e-9)


# --- closed-loop solver ops -----------------------------------------------------------------


def _solver_problem(pim: AnalogCrossbarConfig, op) -> tuple[tuple[np.ndarray, ...], bool]:
    """The op's operands, or those of a same-kind problem of ``solver_sample`` size when the op
    is larger (eigendecompositions of 4096² matrices would dominate the run) [approximation]."""
    from archsim.workload.solvers import make_matrix

    size = op.features if op.kind == "regression" else op.n
    if size <= pim.solver_sample:
        return make_matrix(op), False
    field = "features" if op.kind == "regression" else "n"
    update = {field: pim.solver_sample}
    if op.kind == "regression":
        update["samples"] = max(pim.solver_sample, op.samples * pim.solver_sample // size)
    return make_matrix(op.model_copy(update=update)), True


def _closed_loop_parts(pim: AnalogCrossbarConfig):
    from archsim.config.presets import load_yaml_model
    from archsim.pim.analog.closed_loop_config import ClosedLoopConfig
    from archsim.pim.analog.presets import load_device, load_periphery

    assert pim.closed_loop is not None
    cfg = load_yaml_model(ClosedLoopConfig, "circuits", pim.closed_loop)
    return cfg, load_device(pim.device), load_periphery(pim.periphery, pim.periphery_overrides).adc


def _solve_op(system: SystemConfig, op, seed: int):
    from archsim.pim.analog.closed_loop import eigen, regression, solve
    from archsim.pim.analog.refinement import residual_host

    pim = system.pim
    assert isinstance(pim, AnalogCrossbarConfig)
    cfg, device, adc = _closed_loop_parts(pim)
    operands, _ = _solver_problem(pim, op)
    tolerance = op.tolerance if cfg.refine_to_tolerance else None
    host = residual_host(cfg, system)
    if op.kind == "solve":
        a, b = operands
        return solve(
            a, b[:, 0], cfg, device, adc, seed, digital=False, tolerance=tolerance, host=host,
            tile_rows=pim.rows,
        )
    if op.kind == "regression":
        return regression(
            *operands, cfg, device, adc, seed, tile_rows=pim.rows, ridge=op.ridge,
            tolerance=tolerance, host=host,
        )
    return eigen(
        operands[0], cfg, device, adc, seed, tile_rows=pim.rows, x0=operands[1],
        tolerance=tolerance, host=host,
    )


_SOLVES: dict[tuple, object] = {}


def _op_seed(seed: int, op) -> int:
    return zlib.crc32(f"{seed}:{op.name}".encode())


def _solve_cached(system: SystemConfig, op, seed: int):
    """One closed-loop solve per (system, op, seed): the mapping's feasibility check and the run
    share it (eigendecompositions of 512² matrices are not free)."""
    # The tile count does not change a solve: a capacity sweep reuses it.
    key = (system.model_dump_json(exclude={"pim": {"tiles"}}), op.model_dump_json(), seed)
    if key not in _SOLVES:
        if len(_SOLVES) > 64:
            _SOLVES.clear()
        from archsim.errors import ArchsimError

        try:
            _SOLVES[key] = _solve_op(system, op, seed)
        except ArchsimError as exc:
            _SOLVES[key] = exc
    result = _SOLVES[key]
    if isinstance(result, Exception):
        raise result
    return result


def closed_loop_can_run(system: SystemConfig, op) -> tuple[bool, str]:
    """Whether the loop can solve this op's matrix (stable as programmed), and if not, why."""
    from archsim.errors import ArchsimError

    try:  # the seed a run with seed 0 uses, so that run reuses this solve
        _solve_cached(system, op, _op_seed(0, op))
    except ArchsimError as exc:
        return False, f"closed loop: {exc}"
    return True, ""


def closed_loop_programming(pim: AnalogCrossbarConfig, op, result):
    """Write-verify cost of the op's matrix at its full size (the solve may run on a sample):
    the sample's iterations per cell, the op's cell count."""
    from archsim.pim.analog.presets import load_device
    from archsim.pim.analog.programming import write_verify_cost

    rows, cols = (op.samples, op.features) if op.kind == "regression" else (op.n, op.n)
    return write_verify_cost(
        load_device(pim.device), rows, cols, pim.rows, CLOSED_LOOP_ARRAYS,
        result.programming.iterations,
    )


def run_closed_loop(
    system: SystemConfig, op, workload: Workload, energy: Actions, seed: int = 0
) -> tuple[AnalogOpResult, float]:
    """One execution of a SOLVE/REGRESSION/EIGEN op in op-amp feedback.

    The matrix is data: it is written (write-verify, at its full size) once per execution, then
    each right-hand side settles (exact response) and is refined to the op's tolerance when the
    circuit asks, the digital residuals on the host; the right-hand side in and the solution out
    cross the host link. Time: programming, then settling and residuals, overlapped with the
    link transfers; energy: programming, op-amps, cells, converters, residuals."""
    assert system.host_link is not None
    pim = system.pim
    assert isinstance(pim, AnalogCrossbarConfig)
    result = _solve_cached(system, op, _op_seed(seed, op))
    prog = closed_loop_programming(pim, op, result)
    ledger = Ledger()
    rhs = getattr(op, "rhs", 1) if op.kind == "solve" else 1
    parts = dict(result.energy_pj)
    parts.pop("programming", None)
    parts.pop("residual_memory", 0.0)
    parts.pop("residual", 0.0)
    # The refinement's digital residuals at the op's full size (the solve may run on a sample):
    # the GEMVs the refinement took, each over the full matrix on the host.
    from archsim.pim.analog.refinement import residual_host

    rows, cols = (op.samples, op.features) if op.kind == "regression" else (op.n, op.n)
    host = residual_host(_closed_loop_parts(pim)[0], system)
    res_t, res_pj, res_mem_pj, res_bytes = (
        result.residual_passes * c for c in host.cost(rows, cols)
    )
    energy.fixed(ledger, "pim_compute", rhs * sum(parts.values()))
    energy.fixed(ledger, "host_compute", rhs * res_pj)
    energy.fixed(ledger, "dram_datapath", rhs * res_mem_pj)
    energy.fixed(ledger, "pim_programming", prog.energy_pj)
    ledger.bytes["host_link"] += rhs * res_bytes
    reads = op.bytes_read(workload)
    writes = op.bytes_written(workload)
    weights = {t for t in op.inputs if workload.tensors[t].role == "weight"}
    moved = sum(v for k, v in reads.items() if k not in weights) + sum(writes.values())
    energy.link(ledger, moved)
    compute_ns = rhs * (result.settling_time_s + res_t) * 1e9
    link_ns = moved / system.host_link.bandwidth_bytes_per_s * 1e9
    total = prog.time_s * 1e9 + max(compute_ns, link_ns) + system.host_link.latency_ns
    bound = "pim" if compute_ns >= link_ns else "memory"
    detail = {
        "programming_time_ns": prog.time_s * 1e9,
        "programming_energy_pj": prog.energy_pj,
        "cells_written": float(prog.cells),
        "write_verify_iterations": prog.iterations,
        "endurance_fraction": prog.endurance_fraction,
        "settling_ns": rhs * result.settling_time_s * 1e9,
        "settling_bound_ns": rhs * result.settling_bound_s * 1e9,
        "refinement_iterations": float(result.refinement_iterations),
        "residual_ns": rhs * res_t * 1e9,
    }
    return AnalogOpResult(total, ledger, op.macs(), bound, analog=detail), result.solution_error


def programming_report(system: SystemConfig, workload: Workload, costs: dict) -> dict | None:
    """Programming and endurance of one run on an analog system (None elsewhere).

    ``per_run_*``: closed-loop matrices written during the run (time and energy are inside the
    run's totals). ``static_*``: one programming of every resident static weight (all tiles at
    once), its energy charged 1/``inferences_per_programming`` per run, its time reported as the
    availability the deployment loses to it. ``runs_per_endurance``: runs until the most-written
    cell reaches its rated write cycles. ``op:<name>:settling_ns`` / ``..._bound_ns``: exact
    closed-loop settling and the τ·ln(1/ε) bound; ``..._refinement_iterations`` and
    ``..._residual_ns``: the analog refinement's steps and its digital residuals' time."""
    pim = system.pim
    if not isinstance(pim, AnalogCrossbarConfig):
        return None
    out = {
        "per_run_time_ns": 0.0, "per_run_energy_pj": 0.0, "per_run_cells": 0.0,
        "static_time_ns": 0.0, "static_energy_pj": 0.0, "static_cells": 0.0,
        "inferences_per_programming": pim.inferences_per_programming,
    }  # fmt: skip
    wear_per_run = 0.0
    static_wear = 0.0
    run_ns = 0.0
    for op in workload.ops:
        cost = costs.get(op.name)
        if not isinstance(cost, AnalogOpResult):
            continue
        a = cost.analog
        run_ns += cost.time_ns * op.repeat
        if "programming_time_ns" in a:
            out["per_run_time_ns"] += a["programming_time_ns"] * op.repeat
            out["per_run_energy_pj"] += a["programming_energy_pj"] * op.repeat
            out["per_run_cells"] += a["cells_written"] * op.repeat
            wear_per_run = max(wear_per_run, a["endurance_fraction"] * op.repeat)
            out[f"op:{op.name}:settling_ns"] = a["settling_ns"]
            out[f"op:{op.name}:settling_bound_ns"] = a["settling_bound_ns"]
            out[f"op:{op.name}:refinement_iterations"] = a["refinement_iterations"]
            out[f"op:{op.name}:residual_ns"] = a["residual_ns"]
        else:
            out["static_time_ns"] = max(out["static_time_ns"], a["static_programming_time_ns"])
            out["static_energy_pj"] += a["static_programming_energy_pj"] * op.repeat
            out["static_cells"] += a["cells_written"] * op.repeat
            static_wear = max(static_wear, a["endurance_fraction"])
    out.update(pipeline_report(system, workload, costs))
    out["static_energy_pj_per_run"] = out["static_energy_pj"] / pim.inferences_per_programming
    serve_ns = run_ns * pim.inferences_per_programming
    out["static_availability_lost"] = (
        out["static_time_ns"] / (serve_ns + out["static_time_ns"]) if serve_ns else 0.0
    )
    wear = wear_per_run + static_wear / pim.inferences_per_programming
    out["endurance_fraction_per_run"] = wear
    out["runs_per_endurance"] = 1 / wear if wear else float("inf")
    return out


def pipeline_report(system: SystemConfig, workload: Workload, costs: dict) -> dict[str, float]:
    """Tiles the static weights use (replicas included) and the MVM time of the analog layers
    run one after another (as ``run`` schedules them) and layer-pipelined (ISAAC style, not
    ``run``'s schedule): ``pipeline_sequential_ns``, ``pipeline_ns``, ``op:<name>:copies``."""
    from archsim.pim.analog.pipeline import plan, segments

    pim = system.pim
    assert isinstance(pim, AnalogCrossbarConfig)
    placed = {
        op.name for op in workload.ops
        if isinstance(costs.get(op.name), AnalogOpResult) and "copies" in costs[op.name].analog
    }  # fmt: skip
    if not placed:
        return {}
    p = plan(pim, workload, tiles_needed)
    layers = [layer for layer in p.layers if layer.name in placed]
    cfg = tile_config(
        pim.device, pim.periphery, pim.periphery_overrides, rows=pim.rows, cols=pim.cols
    )
    lat = mvm_cost(cfg.periphery, 0.0, 1, 1, pim.rows, pim.cols, pim.rows, pim.cols).latency_ns
    sub = type(p)(layers, p.tiles, p.base_tiles)
    seq = sub.sequential_steps() * lat
    pipe = sub.pipelined_steps(segments(workload, placed)) * lat
    out = {
        "tiles_used": float(sum(layer.tiles for layer in layers)),
        "tiles_replicas": float(sum((layer.copies - 1) * layer.tiles_per_copy * layer.repeat
                                    for layer in layers)),
        "pipeline_sequential_ns": seq,
        "pipeline_ns": pipe,
        "pipeline_speedup": seq / pipe if pipe else 1.0,
    }  # fmt: skip
    out.update({f"op:{layer.name}:copies": float(layer.copies) for layer in layers
                if layer.copies > 1})  # fmt: skip
    return out
