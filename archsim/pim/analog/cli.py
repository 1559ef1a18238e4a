"""``archsim analog``: device-level experiments on crossbar tiles and closed-loop solvers."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from archsim.errors import ArchsimError
from archsim.pim.analog.names import DEVICES, MATRIX_KINDS, PERIPHERIES
from archsim.terminal import LazyConsole

analog_app = typer.Typer(
    help="Analog crossbar tiles and closed-loop solvers.", no_args_is_help=True
)
out = LazyConsole()



# [assumption] bounds on one command's work (archsim.limits bounds its memory): more seeds or
# refinement steps than these is a typo, not a study.
MAX_SEEDS = 10_000
MAX_REFINE = 1_000
# [assumption] an analog solve resolves about 1e-3 relative (10-bit ADC, 0.1% settling): a
# matrix whose condition number exceeds 1e6 gives an answer with no correct digit.
MAX_CONDITION = 1e6
# float64 copies of an n x n matrix an analog study holds at once (weights, two conductance
# halves, noise draws, the reference): measured peak / (n*n*8) was 6-9.
MATRIX_COPIES = 10


def _emit(payload: dict, destination: str | None) -> None:
    from archsim.outputs import dump_json, emit_json

    emit_json(dump_json(payload), destination)


def _check_json(destination: str | None) -> None:
    if destination not in (None, "-"):
        from archsim.outputs import check_output

        check_output(destination, "--json")


def _finite(name: str, value: float | None, positive: bool = False) -> None:
    if value is None:
        return
    if not math.isfinite(value) or (positive and value <= 0):
        raise ArchsimError(
            f"{name}: must be a finite {'positive ' if positive else ''}number, got {value}"
        )


def _preset(option: str, load, name: str) -> None:
    """Load a device/periphery/circuit preset now, so an error names its option."""
    from archsim.errors import ConfigError

    try:
        load(name)
    except ConfigError as exc:
        text = str(exc)
        raise ArchsimError(text if text.startswith(name) else f"{option}: {text}") from None


def _positive(name: str, value: int) -> None:
    if value <= 0:
        raise ArchsimError(f"{name}: must be a positive integer, got {value}")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ArchsimError(f"{name}: {value!r} is not one of {', '.join(allowed)}")


@analog_app.command("mvm")
def mvm(
    device: Annotated[
        str, typer.Option(help=f"device model: {', '.join(DEVICES)} or YAML")
    ] = "pcm",
    inputs: Annotated[int, typer.Option(help="matrix rows (input vector length)")] = 256,
    outputs: Annotated[int, typer.Option(help="matrix columns (output vector length)")] = 256,
    batch: Annotated[int, typer.Option(help="input vectors per seed")] = 100,
    weights: Annotated[str, typer.Option(help="uniform, gaussian or FILE.npy")] = "uniform",
    periphery: Annotated[str, typer.Option(help="default, ideal, aihwkit or YAML")] = "default",
    t_inference: Annotated[float, typer.Option(help="seconds after programming")] = 0.0,
    compensation: Annotated[str, typer.Option(help="global or none")] = "global",
    seeds: Annotated[int, typer.Option(help="independent programmings to average")] = 5,
    adc_bits: Annotated[int | None, typer.Option(help="override the periphery's ADC bits")] = None,
    rows: Annotated[int, typer.Option(help="tile rows (inputs per crossbar)")] = 256,
    cols: Annotated[int, typer.Option(help="tile columns (outputs per crossbar)")] = 256,
    json_out: Annotated[str | None, typer.Option("--json", help="PATH or - for stdout")] = None,
) -> None:
    """Program a tile, run MVMs, report rel_error (Frobenius) over seeds, energy and latency."""
    from archsim.limits import check_bytes
    from archsim.pim.analog.presets import load_device, load_periphery
    from archsim.pim.analog.study import run_mvm

    for name, value in (("--inputs", inputs), ("--outputs", outputs), ("--batch", batch),
                        ("--seeds", seeds), ("--rows", rows), ("--cols", cols)):  # fmt: skip
        _positive(name, value)
    _choice("--compensation", compensation, ("global", "none"))
    _finite("--t-inference", t_inference)
    if t_inference < 0:
        raise ArchsimError(f"--t-inference: must be >= 0 seconds, got {t_inference}")
    if adc_bits is not None and not 1 <= adc_bits <= 16:
        raise ArchsimError(f"--adc-bits: must be from 1 to 16, got {adc_bits}")
    if seeds > MAX_SEEDS:
        raise ArchsimError(f"--seeds: {seeds:,} is more than the {MAX_SEEDS:,} allowed")
    check_bytes(
        8 * (MATRIX_COPIES * inputs * outputs + 3 * batch * (inputs + outputs)),
        f"--inputs {inputs} x --outputs {outputs} x --batch {batch}",
    )
    _check_json(json_out)
    _preset("--device", load_device, device)
    _preset("--periphery", load_periphery, periphery)
    result = run_mvm(
        device, periphery, inputs, outputs, batch, weights, t_inference, compensation, seeds,
        adc_bits, rows=rows, cols=cols,
    )
    if json_out != "-":
        from rich.table import Table

        table = Table(title=f"analog MVM {inputs}x{outputs} on {device} ({periphery} periphery)")
        table.add_column("quantity")
        table.add_column("value", justify="right")
        rel = result["rel_error"]
        table.add_row("rel_error", f"{rel['mean']:.4g} ± {rel['std']:.2g}")
        for k, v in result["energy_pj"].items():
            table.add_row(f"energy {k} (pJ/MVM)", f"{v:.4g}")
        table.add_row("latency (ns/MVM)", f"{result['latency_ns']:.4g}")
        table.add_row("passes per MVM (bound management)", f"{result['passes_per_mvm']:.3g}")
        table.add_row("tiles", str(result["tiles"]))
        table.add_row("programming time (s)", f"{result['programming']['time_s']:.3g}")
        table.add_row("programming energy (pJ)", f"{result['programming']['energy_pj']:.3g}")
        out.print(table)
    _emit(result, json_out)


@analog_app.command("solve")
def solve_cmd(
    matrix: Annotated[str | None, typer.Option(help="FILE.npy with a square matrix")] = None,
    kind: Annotated[
        str, typer.Option(help=f"generated matrix: {', '.join(MATRIX_KINDS)}")
    ] = "toeplitz",
    n: Annotated[int, typer.Option(help="size of a generated matrix")] = 64,
    gbw: Annotated[float | None, typer.Option(help="op-amp gain-bandwidth, Hz")] = None,
    gain: Annotated[float | None, typer.Option(help="op-amp open-loop gain L0")] = None,
    device: Annotated[str, typer.Option(help=f"device model: {', '.join(DEVICES)}")] = "rram",
    refine: Annotated[int | None, typer.Option(help="analog iterative-refinement steps")] = None,
    seed: Annotated[int, typer.Option(help="seed of matrix, rhs and device noise")] = 0,
    circuit: Annotated[str, typer.Option(help="closed-loop circuit preset or YAML")] = "default",
    op: Annotated[str, typer.Option(help="solve, regression or eigen")] = "solve",
    json_out: Annotated[str | None, typer.Option("--json", help="PATH or - for stdout")] = None,
) -> None:
    """Solve A·x = b (or regression, eigenvector) in one step on a crossbar in op-amp feedback;
    compare a solve with digital CG on the host and on in-bank PIM."""
    from archsim.config.presets import load_yaml_model
    from archsim.limits import check_bytes
    from archsim.pim.analog.closed_loop_config import ClosedLoopConfig
    from archsim.pim.analog.presets import load_device
    from archsim.pim.analog.study import run_solve

    _positive("--n", n)
    _choice("--op", op, ("solve", "regression", "eigen"))
    _choice("--kind", kind, MATRIX_KINDS)
    _finite("--gbw", gbw, positive=True)
    _finite("--gain", gain, positive=True)
    if refine is not None and not 0 <= refine <= MAX_REFINE:
        raise ArchsimError(f"--refine: must be from 0 to {MAX_REFINE:,}, got {refine}")
    if matrix is None:
        size = n * n * (4 if op == "regression" else 1)
        check_bytes(8 * MATRIX_COPIES * size, f"--n {n}")
    _check_json(json_out)
    _preset("--device", load_device, device)
    _preset("--circuit", lambda c: load_yaml_model(ClosedLoopConfig, "circuits", c), circuit)
    if matrix is not None and op == "solve":
        _well_conditioned(matrix)
    result = run_solve(matrix, kind, n, gbw, gain, device, refine, seed, circuit, op=op)
    if json_out != "-":
        from rich.table import Table

        table = Table(title=f"closed-loop {result['op']} n={result['n']} on {device}")
        table.add_column("quantity")
        table.add_column("value", justify="right")
        for key in ("solution_error", "finite_gain_error", "finite_gain_error_closed_form",
                    "lambda_min", "spectral_gap", "settling_time_s", "settling_bound_s",
                    "energy_pj_total"):  # fmt: skip
            if key in result:
                table.add_row(key, f"{result[key]:.4g}")
        for where, d in result["digital"].items():
            table.add_row(
                f"digital CG on {where}",
                f"{d['iterations']} it, {d['time_s']:.3g} s, {d['energy_pj']:.3g} pJ,"
                f" {d['host_link_bytes']:.3g} B over host link",
            )
        out.print(table)
    _emit(result, json_out)


def _well_conditioned(path: str) -> None:
    """Refuse a matrix whose analog solution would have no correct digit (the solve returned
    an error of 0.9999999995 for diag(1, 1e-12, 1, 1), with no warning)."""
    import numpy as np

    from archsim.pim.analog.closed_loop import check_matrix
    from archsim.pim.analog.inputs import load_npy

    a = check_matrix(load_npy(path, "--matrix"), f"--matrix {path}")
    with np.errstate(all="ignore"):
        cond = float(np.linalg.cond(a))
    if not math.isfinite(cond) or cond > MAX_CONDITION:
        raise ArchsimError(
            f"--matrix {path}: condition number {cond:.3g} is beyond the {MAX_CONDITION:g} an"
            " analog solve resolves (about 1e-3 relative precision); the result would have no"
            " correct digit. Precondition or regularise the matrix."
        )


def _seconds(text: str, name: str) -> float:
    from archsim.config.units import parse_quantity

    try:
        return parse_quantity(text.strip(), "lifetime")
    except (ValueError, TypeError) as exc:
        raise ArchsimError(f"{name}: {exc}") from None


@analog_app.command("lifetime")
def lifetime_cmd(
    device: Annotated[str, typer.Option(help="devices, comma-separated (pcm, rram, ...)")] = (
        "pcm,rram"
    ),
    ages: Annotated[str, typer.Option(help="deployment ages, comma-separated (s, h, d, y)")] = (
        "1h,1d,30d,1y,3y"
    ),
    temperature: Annotated[float, typer.Option(help="operating temperature, C")] = 55.0,
    rate: Annotated[float, typer.Option(help="inferences per second")] = 1000.0,
    policy: Annotated[str, typer.Option(help="reprogramming: none, period, accuracy")] = "none",
    period: Annotated[str | None, typer.Option(help="reprogramming period (policy period)")] = None,
    threshold: Annotated[
        float | None, typer.Option(help="relative error that triggers a rewrite (policy accuracy)")
    ] = None,
    compensation: Annotated[str, typer.Option(help="recalibration: global or none")] = "global",
    periphery: Annotated[str, typer.Option(help="periphery preset or YAML")] = "default",
    inputs: Annotated[int, typer.Option(help="matrix rows")] = 256,
    outputs: Annotated[int, typer.Option(help="matrix columns")] = 256,
    seed: Annotated[int, typer.Option(help="seed of weights and devices")] = 0,
    json_out: Annotated[str | None, typer.Option("--json", help="PATH or - for stdout")] = None,
) -> None:
    """Accuracy and cost per 1M inferences against deployment age: drift, temperature, read
    disturb, endurance and stuck-cell growth, with a recalibration/reprogramming policy."""
    from archsim.limits import check_bytes
    from archsim.pim.analog.lifetime import as_rows, lifetime
    from archsim.pim.analog.presets import load_device, load_periphery

    _positive("--inputs", inputs)
    _positive("--outputs", outputs)
    _choice("--compensation", compensation, ("global", "none"))
    _choice("--policy", policy, ("none", "period", "accuracy"))
    _finite("--temperature", temperature)
    _finite("--rate", rate, positive=True)
    if threshold is not None and not (math.isfinite(threshold) and threshold > 0):
        raise ArchsimError(f"--threshold: must be a positive relative error, got {threshold}")
    check_bytes(8 * MATRIX_COPIES * inputs * outputs, f"--inputs {inputs} x --outputs {outputs}")
    age_s = [_seconds(a, "--ages") for a in ages.split(",") if a.strip()]
    if any(a < 0 for a in age_s):
        raise ArchsimError(f"--ages: ages must not be negative, got {ages!r}")
    period_s = _seconds(period, "--period") if period else None
    devices = [d.strip() for d in device.split(",") if d.strip()]
    if not devices:
        raise ArchsimError("--device: give at least one device (pcm, rram, ...)")
    for dev in devices:
        _preset("--device", load_device, dev)
    _preset("--periphery", load_periphery, periphery)
    _check_json(json_out)
    rows = []
    for dev in devices:
        rows += as_rows(lifetime(
            dev, age_s, periphery=periphery, temperature_c=temperature, rate_per_s=rate,
            policy=policy, period_s=period_s, threshold=threshold, compensation=compensation,
            inputs=inputs, outputs=outputs, seed=seed,
        ))  # fmt: skip
    if json_out != "-":
        from rich.table import Table

        table = Table(title=f"analog lifetime at {temperature:g} C, {rate:g} inferences/s,"
                      f" policy {policy}, recalibration {compensation}")  # fmt: skip
        for col in ("dev", "age", "since", "writes", "error", "stuck", "wear", "J/1M",
                    "write J/1M", "lost"):
            table.add_column(col, justify="right")  # fmt: skip
        for r in rows:
            table.add_row(
                r["device"], _age(r["age_s"]), _age(r["since_programming_s"]),
                str(r["programmings"]), f"{r['rel_error']:.4f}", f"{r['stuck_fraction']:.2g}",
                f"{r['endurance_used']:.2g}", f"{r['energy_j_per_1m']:.3g}",
                f"{r['programming_j_per_1m']:.2g}", f"{r['availability_lost']:.2g}",
            )  # fmt: skip
        out.print(table)
    _emit({"temperature_c": temperature, "rate_per_s": rate, "policy": policy,
           "compensation": compensation, "points": rows}, json_out)  # fmt: skip


@analog_app.command("pipeline")
def pipeline_cmd(
    workload: Annotated[str, typer.Option("--workload", "-w", help="workload preset or file")] = (
        "resnet50"
    ),
    system: Annotated[str, typer.Option(help="system preset with analog banks")] = "analog-rram",
    tiles: Annotated[int | None, typer.Option(help="override pim.tiles")] = None,
    replication: Annotated[
        str | None, typer.Option(help="override pim.conv_replication: none or balance")
    ] = None,
    json_out: Annotated[str | None, typer.Option("--json", help="PATH or - for stdout")] = None,
) -> None:
    """Conv weight replication and layer pipelining: copies, tiles, MVM time and programming
    energy per layer, sequential and pipelined (ISAAC/PUMA style)."""
    from archsim.pim.analog.study import pipeline_study

    payload = pipeline_study(system, workload, tiles, replication)
    if json_out != "-":
        from rich.table import Table

        table = Table(title=f"{payload['workload']} on {payload['system']}: replication"
                      f" {payload['replication']}, {payload['tiles_used']:,} of"
                      f" {payload['tiles']:,} tiles")  # fmt: skip
        for col in ("layer", "kind", "x", "tiles/copy", "copies", "MVM steps", "time",
                    "programming"):
            table.add_column(col, justify="right")  # fmt: skip
        for r in payload["layers"]:
            table.add_row(
                r["layer"], r["kind"], str(r["repeat"]), str(r["tiles_per_copy"]),
                str(r["copies"]), f"{r['mvm_steps']:,}", f"{r['time_ns'] / 1e3:,.2f} µs",
                f"{r['programming_pj'] * 1e-6:,.3g} µJ",
            )  # fmt: skip
        out.print(table)
        out.print(
            f"MVM time: {payload['sequential_ns'] / 1e3:,.2f} µs layer by layer (as archsim run"
            f" schedules it), {payload['pipelined_ns'] / 1e3:,.2f} µs pipelined"
            f" ({payload['pipeline_speedup']:.2g}x); programming"
            f" {payload['programming_pj'] * 1e-9:,.3g} mJ per deployment"
        )
    _emit(payload, json_out)


def _age(s: float) -> str:
    for unit, size in (("y", 365.25 * 86400), ("d", 86400), ("h", 3600)):
        if s >= size:
            return f"{s / size:.3g}{unit}"
    return f"{s:.3g}s"


def register(app: typer.Typer) -> None:
    """Add ``archsim analog`` to the main app."""
    app.add_typer(analog_app, name="analog")


__all__ = ["PERIPHERIES", "analog_app", "register"]
