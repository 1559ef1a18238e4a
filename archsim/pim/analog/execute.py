"""Run a GEMV/GEMM/conv (im2col) op on analog crossbar banks inside ``archsim run``.

Static weights are resident in the tiles (programmed once, before the run); the activations cross
the host link in and out. Time: every input vector takes one MVM latency. A workload whose static
weights need more tiles than the banks have is refused (:func:`check_capacity`): time-multiplexing
the tiles would mean reprogramming them every run, which this model does not charge.
Accuracy is measured, not assumed: a sample of the op's weight shape (Gaussian weights, uniform
inputs, seeded by the run seed and the op) runs through the noisy tiles.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from archsim.config.compute import AnalogCrossbarConfig
from archsim.config.system import SystemConfig
from archsim.energy.ledger import EnergyModel, Ledger
from archsim.errors import ConfigError
from archsim.mapping.policy import gemv_shapes
from archsim.pim.analog.energy import mvm_cost
from archsim.pim.analog.presets import tile_config
from archsim.pim.analog.tile import AnalogMatrix
from archsim.pim.execute import MemoryOpResult
from archsim.workload.graph import Workload

_SAMPLE_BATCH = 16  # input vectors per accuracy sample


def _sample(pim: AnalogCrossbarConfig, n_in: int, n_out: int, seed: int):
    """(rel_error, cell energy pJ per MVM per weight) of a sampled weight block."""
    k, n = min(n_in, pim.accuracy_sample), min(n_out, pim.accuracy_sample)
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((k, n))
    x = rng.uniform(-1.0, 1.0, (_SAMPLE_BATCH, k))
    cfg = tile_config(
        pim.device,
        pim.periphery,
        pim.periphery_overrides,
        rows=pim.rows,
        cols=pim.cols,
        t_inference=pim.t_inference_s,
        compensation=pim.compensation,
        seed=seed,
    )
    m = AnalogMatrix(w, cfg)
    y = m.mvm(x)
    exact = x @ w
    err = float(np.linalg.norm(y - exact) / np.linalg.norm(exact))
    return err, m.cost().energy_pj["cell"] / (k * n), cfg


def run_analog(
    system: SystemConfig,
    op,
    workload: Workload,
    energy: EnergyModel,
    onchip: frozenset[str],
    seed: int = 0,
) -> tuple[MemoryOpResult, float]:
    """One execution of ``op`` on the crossbar banks, and its measured relative error."""
    pim = system.pim
    assert isinstance(pim, AnalogCrossbarConfig) and system.host_link is not None
    ledger = Ledger()
    time_ns = 0.0
    errors = []
    op_seed = zlib.crc32(f"{seed}:{op.name}".encode())
    for batch, n_out, n_in in gemv_shapes(op):
        err, cell_per_weight, cfg = _sample(pim, n_in, n_out, op_seed)
        errors.append(err)
        row_tiles, col_tiles = math.ceil(n_in / pim.rows), math.ceil(n_out / pim.cols)
        cost = mvm_cost(
            cfg.periphery,
            cell_per_weight * n_in * n_out,
            row_tiles,
            col_tiles,
            pim.rows,
            pim.cols,
            n_in,
            n_out,
        )
        time_ns += batch * cost.latency_ns
        energy.fixed(ledger, "pim_compute", batch * cost.total_pj)
    reads = op.bytes_read(workload)
    writes = op.bytes_written(workload)
    weights = {t for t in op.inputs if workload.tensors[t].role == "weight"}
    moved = sum(v for k, v in reads.items() if k not in weights) + sum(writes.values())
    energy.link(ledger, moved)
    link_ns = moved / system.host_link.bandwidth_bytes_per_s * 1e9
    bound = "pim" if time_ns >= link_ns else "memory"
    total = max(time_ns, link_ns) + system.host_link.latency_ns
    rel = float(np.sqrt(np.mean(np.square(errors)))) if errors else 0.0
    return MemoryOpResult(total, ledger, op.macs(), bound), rel


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

    pim = system.pim
    assert isinstance(pim, AnalogCrossbarConfig)
    cfg, device, adc = _closed_loop_parts(pim)
    operands, _ = _solver_problem(pim, op)
    if op.kind == "solve":
        a, b = operands
        return solve(a, b[:, 0], cfg, device, adc, seed, digital=False)
    if op.kind == "regression":
        return regression(*operands, cfg, device, adc, seed)
    return eigen(operands[0], cfg, device, adc, seed)


def closed_loop_can_run(system: SystemConfig, op) -> tuple[bool, str]:
    """Whether the loop can solve this op's matrix (stable as programmed), and if not, why."""
    from archsim.errors import ArchsimError

    try:
        _solve_op(system, op, 0)
    except ArchsimError as exc:
        return False, f"closed loop: {exc}"
    return True, ""


def run_closed_loop(
    system: SystemConfig, op, workload: Workload, energy: EnergyModel, seed: int = 0
) -> tuple[MemoryOpResult, float]:
    """One execution of a SOLVE/REGRESSION/EIGEN op in op-amp feedback: settling time per
    right-hand side, power x time energy, the right-hand side in and the solution out over the
    host link; the matrix is a static weight programmed before the run."""
    assert system.host_link is not None
    result = _solve_op(system, op, zlib.crc32(f"{seed}:{op.name}".encode()))
    ledger = Ledger()
    rhs = getattr(op, "rhs", 1) if op.kind == "solve" else 1
    energy.fixed(ledger, "pim_compute", rhs * result.energy_total_pj)
    reads = op.bytes_read(workload)
    writes = op.bytes_written(workload)
    weights = {t for t in op.inputs if workload.tensors[t].role == "weight"}
    moved = sum(v for k, v in reads.items() if k not in weights) + sum(writes.values())
    energy.link(ledger, moved)
    compute_ns = rhs * result.settling_time_s * 1e9
    link_ns = moved / system.host_link.bandwidth_bytes_per_s * 1e9
    total = max(compute_ns, link_ns) + system.host_link.latency_ns
    bound = "pim" if compute_ns >= link_ns else "memory"
    return MemoryOpResult(total, ledger, op.macs(), bound), result.solution_error
