"""The experiments behind ``archsim analog mvm`` and ``archsim analog solve``, as plain functions
returning the JSON payloads (so tests and analysis scripts use exactly what the CLI prints)."""

from __future__ import annotations

import numpy as np

from archsim.errors import ArchsimError
from archsim.pim.analog.tile import AnalogMatrix


def run_mvm(
    device: str,
    periphery: str,
    n_in: int,
    n_out: int,
    batch: int,
    weights: str,
    t_inference_s: float,
    compensation: str,
    seeds: int,
    adc_bits: int | None = None,
    rows: int = 256,
    cols: int = 256,
) -> dict:
    """rel_error {mean, std} over ``seeds`` programmings, energy per MVM and latency."""
    from archsim.pim.analog.inputs import make_weights
    from archsim.pim.analog.presets import tile_config

    overrides = {"adc_bits": adc_bits} if adc_bits is not None else None
    errors = []
    cost = None
    prog = (0.0, 0.0)
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        w = make_weights(weights, n_in, n_out, rng)
        x = rng.uniform(-1.0, 1.0, (batch, n_in))
        cfg = tile_config(
            device, periphery, overrides, t_inference=t_inference_s,
            compensation=compensation, seed=seed, rows=rows, cols=cols,
        )
        matrix = AnalogMatrix(w, cfg)
        y = matrix.mvm(x)
        exact = x @ w
        errors.append(float(np.linalg.norm(y - exact) / np.linalg.norm(exact)))
        cost = matrix.cost()
        prog = matrix.programming_cost()
    assert cost is not None
    return {
        "device": device,
        "periphery": periphery,
        "inputs": n_in,
        "outputs": n_out,
        "batch": batch,
        "seeds": seeds,
        "t_inference_s": t_inference_s,
        "compensation": compensation,
        "rows": rows,
        "cols": cols,
        "rel_error": {"mean": float(np.mean(errors)), "std": float(np.std(errors))},
        "energy_pj": {"total": cost.total_pj, **cost.energy_pj},
        "latency_ns": cost.latency_ns,
        "passes_per_mvm": matrix.passes_per_mvm,
        "tiles": matrix.row_tiles * matrix.col_tiles,
        "programming": {"time_s": prog[0], "energy_pj": prog[1]},
    }


def make_problem(kind: str, n: int, seed: int) -> np.ndarray:
    """A generated solver matrix (the workload generators' kinds)."""
    from archsim.workload.ops import SolveOp
    from archsim.workload.solvers import make_matrix

    op = SolveOp(name="analog", inputs=["a", "b"], outputs=["x"], n=n, matrix_kind=kind, seed=seed)
    return make_matrix(op)[0]


def run_solve(
    matrix: str | None,
    kind: str,
    n: int,
    gbw_hz: float | None,
    gain: float | None,
    device: str,
    refine: int | None,
    seed: int,
    circuit: str = "default",
    digital: bool = True,
    op: str = "solve",
) -> dict:
    """Closed-loop solve of a file or generated matrix; the payload of ``analog solve``.

    ``op``: solve (A·x = b), regression (least squares on a generated n-feature, 4n-sample
    problem, or X from the file) or eigen (dominant eigenvector of A)."""
    from archsim.config.presets import load_yaml_model
    from archsim.pim.analog.closed_loop import check_matrix, solve
    from archsim.pim.analog.closed_loop_config import ClosedLoopConfig
    from archsim.pim.analog.inputs import MATRIX_KINDS, load_npy
    from archsim.pim.analog.presets import load_device, load_periphery

    overrides: dict = {}
    if gbw_hz is not None:
        overrides["gbw"] = f"{gbw_hz!r}Hz"  # the YAML loader wants units; the option is in Hz
    if gain is not None:
        overrides["gain"] = gain
    if refine is not None:
        overrides["refinement_iterations"] = refine
    cfg = load_yaml_model(ClosedLoopConfig, "circuits", circuit, overrides)
    if op not in ("solve", "regression", "eigen"):
        raise ArchsimError(f"--op: {op!r} is not one of solve, regression, eigen")
    if op in ("regression", "eigen"):
        return _run_other(op, matrix, kind, n, device, seed, cfg)
    if matrix is not None:
        a = check_matrix(load_npy(matrix, "--matrix"), f"--matrix {matrix}")
    else:
        if kind not in MATRIX_KINDS:
            raise ArchsimError(f"--kind: {kind!r} is not one of {', '.join(MATRIX_KINDS)}")
        if n <= 0:
            raise ArchsimError(f"--n: must be a positive integer, got {n}")
        a = make_problem(kind, n, seed)
    b = np.random.default_rng(seed).standard_normal(a.shape[0])
    r = solve(a, b, cfg, load_device(device), load_periphery("default").adc, seed, digital)
    return {
        "op": "solve",
        "n": a.shape[0],
        "device": device,
        "gbw_hz": cfg.gbw_hz,
        "gain": cfg.gain,
        "solution_error": r.solution_error,
        "finite_gain_error": r.finite_gain_error,
        "finite_gain_error_closed_form": r.finite_gain_error_closed_form,
        "lambda_min": r.lambda_min,
        "settling_time_s": r.settling_time_s,
        "settling_bound_s": r.settling_bound_s,
        "programming": r.programming.as_dict() if r.programming else {},
        "time_s": r.time_s,
        "refinement_iterations": r.refinement_iterations,
        "energy_pj": {"total": r.energy_total_pj, **r.energy_pj},
        "energy_pj_total": r.energy_total_pj,
        "digital": r.digital,
    }


def _run_other(op: str, matrix, kind: str, n: int, device: str, seed: int, cfg) -> dict:
    from archsim.pim.analog.closed_loop import check_matrix, eigen, regression
    from archsim.pim.analog.inputs import load_npy
    from archsim.pim.analog.presets import load_device, load_periphery
    from archsim.workload.ops import RegressionOp
    from archsim.workload.solvers import make_matrix

    if n <= 0:
        raise ArchsimError(f"--n: must be a positive integer, got {n}")
    dev, adc = load_device(device), load_periphery("default").adc
    if op == "regression":
        if matrix is not None:
            x = load_npy(matrix, "--matrix")
            if x.ndim != 2:
                raise ArchsimError(f"--matrix: expected a 2-D X, got shape {x.shape}")
            y = np.random.default_rng(seed).standard_normal(x.shape[0])
        else:
            spec = RegressionOp(name="analog", inputs=["x", "y"], outputs=["w"], samples=4 * n,
                                features=n, seed=seed)  # fmt: skip
            x, y = make_matrix(spec)
        r = regression(x, y, cfg, dev, adc, seed)
    else:
        a = (
            check_matrix(load_npy(matrix, "--matrix"), "--matrix")
            if matrix is not None
            else make_problem(kind, n, seed)
        )
        r = eigen(a, cfg, dev, adc, seed)
    return {
        "op": op,
        "n": int(r.x.shape[0]),
        "device": device,
        "gbw_hz": cfg.gbw_hz,
        "gain": cfg.gain,
        "solution_error": r.solution_error,
        "finite_gain_error": r.finite_gain_error,
        "finite_gain_error_closed_form": r.finite_gain_error_closed_form,
        "spectral_gap": r.lambda_min,  # 1 - λ2/λ1 sets the eigenvector mode's settling
        "settling_time_s": r.settling_time_s,
        "settling_bound_s": r.settling_bound_s,
        "programming": r.programming.as_dict() if r.programming else {},
        "time_s": r.time_s,
        "refinement_iterations": r.refinement_iterations,
        "relative_residual": r.relative_residual,
        "energy_pj": {"total": r.energy_total_pj, **r.energy_pj},
        "energy_pj_total": r.energy_total_pj,
        "digital": {},
    }


def pipeline_study(system: str, workload: str, tiles: int | None = None,
          replication: str | None = None) -> dict:  # fmt: skip
    """Per-layer copies, tiles, MVM time and programming energy of a workload's weight layers
    on a system's analog banks, sequential and pipelined: the payload of ``analog pipeline``."""
    from archsim.config.presets import load_system
    from archsim.errors import ArchsimError
    from archsim.pim.analog.energy import mvm_cost
    from archsim.pim.analog.execute import check_capacity, static_programming, tiles_needed
    from archsim.pim.analog.pipeline import plan, segments
    from archsim.pim.analog.presets import tile_config
    from archsim.workload.presets import load_workload

    pim_over: dict = {}
    if tiles is not None:
        if tiles <= 0:
            raise ArchsimError(f"--tiles: must be a positive integer, got {tiles}")
        pim_over["tiles"] = tiles
    if replication is not None:
        if replication not in ("none", "balance"):
            raise ArchsimError(f"--replication: {replication!r} is not one of none, balance")
        pim_over["conv_replication"] = replication
    from archsim.config.compute import AnalogCrossbarConfig

    sys_cfg = load_system(system, {"pim": pim_over} if pim_over else None)
    pim = sys_cfg.pim
    if not isinstance(pim, AnalogCrossbarConfig):
        raise ArchsimError(f"--system: {system!r} has no analog crossbar banks (pim.kind)")
    wl = load_workload(workload)
    p = plan(pim, wl, tiles_needed)
    by_name = {op.name: op for op in wl.ops}
    check_capacity(pim, [by_name[layer.name] for layer in p.layers])
    cfg = tile_config(
        pim.device, pim.periphery, pim.periphery_overrides, rows=pim.rows, cols=pim.cols
    )
    lat = mvm_cost(cfg.periphery, 0.0, 1, 1, pim.rows, pim.cols, pim.rows, pim.cols).latency_ns
    rows = []
    prog = 0.0
    for layer in p.layers:
        one = sum(c.energy_pj for c in static_programming(pim, by_name[layer.name]))
        energy = one * layer.copies * layer.repeat
        prog += energy
        rows.append({
            "layer": layer.name, "kind": layer.kind, "repeat": layer.repeat,
            "tiles_per_copy": layer.tiles_per_copy, "copies": layer.copies,
            "tiles": layer.tiles, "mvm_steps": layer.time_steps(),
            "time_ns": layer.time_steps() * lat * layer.repeat, "programming_pj": energy,
        })  # fmt: skip
    seq = p.sequential_steps() * lat
    pipe = p.pipelined_steps(segments(wl, set(by_name) & {r["layer"] for r in rows})) * lat
    return {
        "system": sys_cfg.name, "workload": wl.name, "replication": pim.conv_replication,
        "tiles": pim.tiles, "tiles_used": p.tiles_used, "tiles_one_copy": p.base_tiles,
        "mvm_latency_ns": lat, "sequential_ns": seq, "pipelined_ns": pipe,
        "pipeline_speedup": seq / pipe if pipe else 1.0, "programming_pj": prog,
        "layers": rows,
    }  # fmt: skip
