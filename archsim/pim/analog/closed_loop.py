"""Closed-loop in-memory solvers: a crossbar in op-amp feedback (Sun et al., PNAS 2019).

Rows sit at virtual ground, op-amps drive the columns, so G·V = -I and V = -G⁻¹·I in one step.
With finite open-loop gain L0 the circuit solves (G + D/L0)·V = -I, D = diag(row sums of the
physical conductances); with single-pole op-amps dV/dt = -2π·GBW·D⁻¹(G·V + I), which settles
with τ = 1/(2π·GBW·λmin(D⁻¹G)) (Sun et al., IEEE TED 2020). Negative entries use a second
array and inverters: G = G⁺ - G⁻, both programmed with the device's noise.

Settling time is the exact response of that linear system (:mod:`archsim.pim.analog.settling`,
the loop's dynamics); τ·ln(1/ε), exact only for an error in the slowest mode, is kept beside it
as ``settling_bound_s``.

Closed-loop matrices are data, written per solve: their write-verify cost
(:mod:`archsim.pim.analog.programming`) is part of every result, and the circuit's
``programming_tolerance`` sets the precision programming that keeps ill-conditioned matrices
stable. Analog iterative refinement (x ← x + G̃⁻¹(b - A·x), the residual computed digitally,
Zuo et al., Nature Electronics 2025) runs a fixed count or until the relative residual meets a
requested tolerance, each residual costed on the host (:mod:`archsim.pim.analog.refinement`);
:func:`regression` and :func:`eigen` refine the same way (normal-equations residual;
eigen-residual with a correction-equation step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from archsim.errors import ArchsimError
from archsim.pim.analog import devices, kernels
from archsim.pim.analog.closed_loop_config import ClosedLoopConfig
from archsim.pim.analog.config import AdcModel, DeviceConfig
from archsim.pim.analog.energy import adc_energy_fj
from archsim.pim.analog.programming import (
    ProgrammingCost,
    precision_iterations,
    residual_sigma_us,
    write_verify_cost,
)
from archsim.pim.analog.refinement import (
    ResidualHost,
    check_refinement,
    refinement_failed,
    residual_cost,
)
from archsim.pim.analog.settling import (
    LoopModes,
    check_stable,
    modal_settling_time_s,
    settling_time_s,
)
from archsim.pim.analog.tile import tile_seed

# Cell arrays per closed-loop matrix: G = G+ - G- (Sun et al., PNAS 2019).
ARRAYS = 2


@dataclass
class ProgrammedMatrix:
    """A matrix as programmed: normalized effective matrix and row-sum conductances."""

    a_eff: np.ndarray  # (G+ - G-)/span, in units of the normalized matrix
    d: np.ndarray  # row sums of G+ + G-, same units
    scale: float  # max|A|
    conductance_us: float  # total programmed conductance (cell power)


def check_matrix(a: np.ndarray, name: str = "matrix") -> np.ndarray:
    """A finite, square, non-zero matrix."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ArchsimError(f"{name}: expected a square 2-D matrix, got shape {a.shape}")
    if a.shape[0] < 1:
        raise ArchsimError(f"{name}: empty matrix")
    if not np.all(np.isfinite(a)):
        raise ArchsimError(f"{name}: contains NaN or infinite values")
    if not np.any(a):
        raise ArchsimError(f"{name}: all zero")
    return a


def program_matrix(
    a: np.ndarray, device: DeviceConfig, seed: int, tolerance: float | None = None
) -> ProgrammedMatrix:
    """Map A to differential conductances and program them with the device's noise, or with
    the residual of a write-verify to ±``tolerance``·span when that is tighter."""
    scale = float(np.max(np.abs(a)))
    an = a / scale
    span = device.gmax_us - device.gmin_us
    halves = []
    for half, part in enumerate((np.maximum(an, 0.0), np.maximum(-an, 0.0))):
        target = np.ascontiguousarray(part * span + device.gmin_us)
        sigma = devices.programming_sigma_us(device, target)
        if tolerance is not None:
            sigma = np.minimum(sigma, residual_sigma_us(device, tolerance))
        halves.append(
            kernels.program_kernel(
                target, sigma, device.d2d_variation, device.stuck_on_rate, device.stuck_off_rate,
                device.gmin_us, device.gmax_us, tile_seed(seed, half, 0),
            )
        )
    gp, gn = halves
    return ProgrammedMatrix(
        a_eff=(gp - gn) / span, d=(gp + gn).sum(axis=1) / span, scale=scale,
        conductance_us=float((gp + gn).sum()),
    )



def finite_gain_solve(a_n: np.ndarray, d: np.ndarray, b: np.ndarray, gain: float) -> np.ndarray:
    """Steady state with open-loop gain L0: (A + D/L0)·x = b."""
    return np.linalg.solve(a_n + np.diag(d) / gain, b)


def quantize(x: np.ndarray, bits: int) -> np.ndarray:
    """ADC read-out of the output voltages, auto-ranged to max|x|."""
    m = float(np.max(np.abs(x)))
    if m == 0:
        return x
    levels = 2 ** (bits - 1) - 1
    return np.round(x / m * levels) / levels * m


@dataclass
class SolveResult:
    """The analog solution, its error sources, time and energy, and the digital comparison.

    ``settling_time_s`` is the analog settling of every solve (exact response, summed over
    refinement steps); ``time_s`` adds the programming of the matrix and the digital residuals.
    """

    x: np.ndarray
    solution_error: float
    finite_gain_error: float
    finite_gain_error_closed_form: float
    lambda_min: float  # slowest mode's rate: λmin(D⁻¹G), or the spectral gap in eigen mode
    settling_time_s: float
    energy_pj: dict[str, float] = field(default_factory=dict)
    refinement_iterations: int = 0
    digital: dict[str, dict[str, float]] = field(default_factory=dict)
    settling_bound_s: float = 0.0  # τ·ln(1/ε) per solve, summed like settling_time_s
    settle_once_s: float = 0.0  # exact settling of one solve
    programming: ProgrammingCost | None = None
    residual_time_s: float = 0.0
    residual_link_bytes: float = 0.0
    relative_residual: float = float("nan")
    residual_passes: int = 0  # digital GEMVs over the matrix the refinement's residuals took

    @property
    def energy_total_pj(self) -> float:
        return sum(self.energy_pj.values())

    @property
    def time_s(self) -> float:
        prog = self.programming.time_s if self.programming is not None else 0.0
        return prog + self.settling_time_s + self.residual_time_s


def _programming(
    device: DeviceConfig, prog: ProgrammedMatrix, a_n: np.ndarray, cfg: ClosedLoopConfig,
    tile_rows: int,
) -> ProgrammingCost:
    span = device.gmax_us - device.gmin_us
    targets = np.concatenate([
        (np.maximum(a_n, 0) * span + device.gmin_us).ravel(),
        (np.maximum(-a_n, 0) * span + device.gmin_us).ravel(),
    ])  # fmt: skip
    its = precision_iterations(device, targets, cfg.programming_tolerance)
    return write_verify_cost(device, a_n.shape[0], a_n.shape[1], tile_rows, ARRAYS, its)


def solve(
    a: np.ndarray,
    b: np.ndarray,
    cfg: ClosedLoopConfig,
    device: DeviceConfig,
    adc: AdcModel,
    seed: int = 0,
    digital: bool = True,
    tolerance: float | None = None,
    host: ResidualHost | None = None,
    tile_rows: int = 256,
) -> SolveResult:
    """Solve A·x = b on a programmed crossbar in feedback, with analog iterative refinement:
    ``cfg.refinement_iterations`` steps, or (``tolerance``) until |b - A·x|/|b| <= tolerance
    (at most ``cfg.max_refinement_iterations``). Programming and residuals are costed."""
    a = check_matrix(a)
    b = np.asarray(b, dtype=np.float64)
    if b.shape != (a.shape[0],) or not np.all(np.isfinite(b)):
        raise ArchsimError(f"rhs: expected {a.shape[0]} finite values, got shape {b.shape}")
    if tolerance is not None and not 0 < tolerance < 1:
        raise ArchsimError(f"tolerance: must be in (0, 1), got {tolerance}")
    n = a.shape[0]
    check_stable(a, device)
    prog = program_matrix(a, device, seed, cfg.programming_tolerance)
    modes = LoopModes.of(prog.a_eff / prog.d[:, None])
    lam = modes.rates.real.min()
    if lam <= 0:
        raise ArchsimError(
            f"matrix: the programmed conductances make the loop unstable (λmin {lam:.3g});"
            " device error is too large for this matrix's conditioning (tighten the circuit's"
            " programming_tolerance)"
        )
    exact = np.linalg.solve(a, b)
    # Closed form of the finite-gain error on the ideal mapping.
    an = a / prog.scale
    span_d = np.abs(an).sum(axis=1) + 2 * device.gmin_us / (device.gmax_us - device.gmin_us) * n
    x_gain = finite_gain_solve(an, span_d, b / prog.scale, cfg.gain)
    fg_err = float(np.linalg.norm(x_gain - exact) / np.linalg.norm(exact))
    # First order: (A + D/L0)⁻¹ ≈ A⁻¹ - A⁻¹(D/L0)A⁻¹, so δx ≈ -A⁻¹·D·x/L0.
    first = np.linalg.solve(an, span_d * exact) / cfg.gain
    fg_closed = float(np.linalg.norm(first) / np.linalg.norm(exact))

    def analog(rhs: np.ndarray) -> tuple[np.ndarray, float]:
        """One settle of the loop for ``rhs``: its read-out and its exact settling time."""
        steady = finite_gain_solve(prog.a_eff, prog.d, rhs / prog.scale, cfg.gain)
        t = modes.settling_time_s(steady, cfg.gbw_hz, cfg.settle_epsilon)
        return quantize(steady, cfg.adc_bits), t

    x, t_first = analog(b)
    settle = t_first
    solves = 1
    b_norm = float(np.linalg.norm(b))
    res_time = res_compute = res_memory = res_bytes = 0.0
    passes = 0
    steps = cfg.max_refinement_iterations if tolerance is not None else cfg.refinement_iterations
    r = b - a @ x
    for _ in range(steps):
        if tolerance is not None and np.linalg.norm(r) <= tolerance * b_norm:
            break
        passes += 1
        if host is not None:
            t, comp, mem, link = host.cost(n, n)
            res_time += t
            res_compute += comp
            res_memory += mem
            res_bytes += link
        else:
            res_compute += 2 * n * n * cfg.digital.flop_energy_pj
        dx, t = analog(r)
        x = x + dx
        settle += t
        solves += 1
        r = b - a @ x
    err = float(np.linalg.norm(x - exact) / np.linalg.norm(exact))
    rel_res = float(np.linalg.norm(r) / b_norm) if b_norm else 0.0
    if tolerance is not None and rel_res > tolerance:
        raise ArchsimError(
            f"closed loop: refinement reached a relative residual of {rel_res:.3g} after"
            f" {solves - 1} steps, not the requested {tolerance:.3g} (max_refinement_iterations"
            f" {cfg.max_refinement_iterations}; the programmed matrix is too far from A)"
        )
    bound = settling_time_s(float(lam), cfg.gbw_hz, cfg.settle_epsilon)

    # Power x time: op-amps and cells (V²·G with outputs at the read-voltage scale).
    v = cfg.read_voltage_v
    opamp = n * cfg.opamp_power_w * settle * 1e12
    cells = v * v * prog.conductance_us * 1e-6 * settle * 1e12
    conv = adc_energy_fj(adc, cfg.adc_bits) * 1e-3 * n * solves
    dac = cfg.dac_energy_fj * 1e-3 * n * solves
    programming = _programming(device, prog, an, cfg, tile_rows)
    energy = {
        "opamp": opamp, "cell": cells, "adc": conv, "dac": dac, "residual": res_compute,
        "residual_memory": res_memory, "programming": programming.energy_pj,
    }
    result = SolveResult(
        x=x, solution_error=err, finite_gain_error=fg_err, finite_gain_error_closed_form=fg_closed,
        lambda_min=float(lam), settling_time_s=settle, energy_pj=energy,
        refinement_iterations=solves - 1, settling_bound_s=bound * solves,
        settle_once_s=t_first, programming=programming, residual_time_s=res_time,
        residual_link_bytes=res_bytes, relative_residual=rel_res, residual_passes=passes,
    )
    if digital:
        from archsim.pim.analog.digital_solver import compare

        result.digital = compare(a, b, max(err, 1e-12), cfg.digital)
    return result


def regression(
    x: np.ndarray, y: np.ndarray, cfg: ClosedLoopConfig, device: DeviceConfig, adc: AdcModel,
    seed: int = 0, tile_rows: int = 256, ridge: float = 0.0, tolerance: float | None = None,
    host: ResidualHost | None = None,
) -> SolveResult:
    """Least squares (ridge >= 0) w = (XᵀX + ridge·I)⁻¹Xᵀy in one step (Sun et al., Science
    Advances 2020; the ridge term as a fixed feedback conductance, Mannocci et al., IEEE JETCAS
    2022), with analog iterative refinement like :func:`solve`'s.

    The circuit programs X once; its loop solves the normal equations, so the settling is set
    by λmin of D⁻¹(X̃ᵀX̃ + ridge) [simplification: D is the row-sum normalization of X̃ᵀX̃'s
    magnitudes]. Refinement (``cfg.refinement_iterations`` steps, or to |r|/|Xᵀy| <= ``tolerance``):
    the host computes the normal-equations residual r = Xᵀ(y - X·w) - ridge·w (two GEMVs over X,
    costed), the same programmed circuit settles G̃⁻¹·r with r injected at its feature nodes
    [simplification: the published circuits inject y at the sample nodes], w ← w + that.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ArchsimError(f"regression: X {x.shape} and y {y.shape} do not match")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ArchsimError("regression: X or y contains NaN or infinite values")
    if not math.isfinite(ridge) or ridge < 0:
        raise ArchsimError(f"regression: ridge must be a non-negative number, got {ridge}")
    check_refinement(tolerance)
    m, n = x.shape
    eye = np.eye(n)
    if ridge > 0:
        exact = np.linalg.solve(x.T @ x + ridge * eye, x.T @ y)
    else:
        exact = np.linalg.lstsq(x, y, rcond=None)[0]
    prog = program_matrix(x, device, seed, cfg.programming_tolerance)
    s = prog.scale
    xt = prog.a_eff  # normalized X as programmed
    rn = ridge / (s * s)
    g = xt.T @ xt + rn * eye
    d = np.abs(xt.T) @ np.abs(xt) @ np.ones(n) + rn
    modes = LoopModes.of(g / d[:, None])
    lam = float(modes.rates.real.min())
    if lam <= 0:
        raise ArchsimError(
            f"regression: XᵀX is singular as programmed (λmin {lam:.3g}); no stable solution"
        )

    def analog(rhs_n: np.ndarray) -> tuple[np.ndarray, float]:
        steady = finite_gain_solve(g, d, rhs_n, cfg.gain)
        return quantize(steady, cfg.adc_bits), modes.settling_time_s(
            steady, cfg.gbw_hz, cfg.settle_epsilon
        )

    first_rhs = xt.T @ (y / s)
    w, t_first = analog(first_rhs)
    ideal = finite_gain_solve(g, d, first_rhs, np.inf)
    fg = float(np.linalg.norm(w - ideal) / np.linalg.norm(ideal))
    settle, solves = t_first, 1
    xty = x.T @ y
    ref = float(np.linalg.norm(xty)) or 1.0
    res = [0.0, 0.0, 0.0, 0.0, 0]

    def residual(w: np.ndarray) -> np.ndarray:
        for i, v in enumerate(residual_cost(host, cfg, m, n, 2)):
            res[i] += v
        res[4] += 2
        return xty - x.T @ (x @ w) - ridge * w

    steps = cfg.max_refinement_iterations if tolerance is not None else cfg.refinement_iterations
    for _ in range(steps):
        r = residual(w)
        if tolerance is not None and np.linalg.norm(r) <= tolerance * ref:
            break
        dw, t = analog(r / (s * s))
        w = w + dw
        settle += t
        solves += 1
    if tolerance is not None and solves - 1 == steps:
        residual(w)  # the check after the last step
    r_final = xty - x.T @ (x @ w) - ridge * w
    rel_res = float(np.linalg.norm(r_final) / ref)
    if tolerance is not None and rel_res > tolerance:
        raise refinement_failed("regression", rel_res, solves - 1, tolerance, cfg)
    err = float(np.linalg.norm(w - exact) / np.linalg.norm(exact))
    bound = settling_time_s(lam, cfg.gbw_hz, cfg.settle_epsilon)
    energy = _power_energy(cfg, adc, n + m, prog.conductance_us, settle, n * solves)
    # DACs: y at the sample nodes once, then each correction at the feature nodes.
    energy["dac"] = cfg.dac_energy_fj * 1e-3 * (m + n * (solves - 1))
    energy["residual"], energy["residual_memory"] = res[1], res[2]
    programming = _programming(device, prog, x / s, cfg, tile_rows)
    energy["programming"] = programming.energy_pj
    return SolveResult(
        w, err, fg, fg, lam, settle, energy, refinement_iterations=solves - 1,
        settling_bound_s=bound * solves, settle_once_s=t_first, programming=programming,
        residual_time_s=res[0], residual_link_bytes=res[3], relative_residual=rel_res,
        residual_passes=res[4],
    )


def eigen(
    a: np.ndarray, cfg: ClosedLoopConfig, device: DeviceConfig, adc: AdcModel, seed: int = 0,
    tile_rows: int = 256, x0: np.ndarray | None = None, tolerance: float | None = None,
    host: ResidualHost | None = None,
) -> SolveResult:
    """Dominant eigenvector in one step (Sun et al., PNAS 2019): TIA feedback G_λ = λ1; the
    other modes decay at 2π·GBW·(1 - λk/λ1), so settling is set by the gap to λ2. The exact
    settling starts from ``x0`` (uniform by default) and ends when the other modes' share of
    the state is below ε.

    Refinement (``cfg.refinement_iterations`` steps, or to |A·v - ρ·v|/|ρ| <= ``tolerance``,
    |v| = 1, ρ = vᵀAv/vᵀv): the host computes ρ and the eigen-residual r = A·v - ρ·v (one GEMV,
    costed); the same circuit, with r injected as input currents, settles δ = (λ1·I - Ã)⁻¹·r on
    the complement of its dominant mode (the correction equation of Jacobi-Davidson, Sleijpen &
    van der Vorst, SIAM J. Matrix Anal. Appl. 1996), and v ← (v + δ)/|v + δ|. This extends the
    Zuo et al. (Nature Electronics 2025) refinement of solve to the eigen circuit [archsim: no
    published analog refinement of the eigenvector; the dominant mode's share of r is dropped].
    """
    a = check_matrix(a)
    check_refinement(tolerance)
    vals, vecs = np.linalg.eig(a)
    order = np.argsort(-np.abs(vals))
    if len(vals) > 1 and abs(vals[order[0]]) <= abs(vals[order[1]]) * (1 + 1e-12):
        raise ArchsimError("matrix: no dominant eigenvalue (|λ1| = |λ2|); the loop cannot settle")
    exact = np.real(vecs[:, order[0]])
    exact = exact / np.linalg.norm(exact)
    prog = program_matrix(a, device, seed, cfg.programming_tolerance)
    pv, pvecs = np.linalg.eig(prog.a_eff)
    pinv = np.linalg.inv(pvecs)
    porder = np.argsort(-np.abs(pv))
    lead_val = pv[porder[0]]
    v = quantize(np.real(pvecs[:, porder[0]]), cfg.adc_bits)
    v = v / np.linalg.norm(v)
    gap = 1 - abs(pv[porder[1]]) / abs(lead_val) if len(pv) > 1 else 1.0
    bound = settling_time_s(float(gap), cfg.gbw_hz, cfg.settle_epsilon)
    n = a.shape[0]
    start = np.full(n, 1.0 / math.sqrt(n)) if x0 is None else np.asarray(x0, dtype=np.float64)
    coeffs = pinv @ start.astype(complex)
    lead = abs(coeffs[porder[0]]) * np.linalg.norm(pvecs[:, porder[0]])
    rest = porder[1:]
    rates = 1 - pv[rest] / lead_val
    t = modal_settling_time_s(
        pvecs[:, rest], coeffs[rest], rates, cfg.gbw_hz, cfg.settle_epsilon, float(lead)
    ) if len(rest) and lead > 0 else 0.0  # fmt: skip
    settle, solves = t, 1
    res = [0.0, 0.0, 0.0, 0.0, 0]

    def residual(v: np.ndarray) -> tuple[np.ndarray, float]:
        for i, c in enumerate(residual_cost(host, cfg, n, n, 1)):
            res[i] += c
        res[4] += 1
        av = a @ v
        rho = float(v @ av)
        return av - rho * v, rho

    def correction(r: np.ndarray) -> tuple[np.ndarray, float]:
        """The circuit's settled δ = (λ1·I - Ã)⁻¹·r on the other modes, and its settling."""
        c = pinv[rest] @ (r / prog.scale).astype(complex)
        k = c / (lead_val - pv[rest])  # modal amplitudes of δ
        delta = (pvecs[:, rest] @ k).real
        norm = float(np.linalg.norm(delta))
        if norm == 0:
            return delta, 0.0
        # From V = 0 the error -δ decays mode by mode at 2π·GBW·(1 - λk/λ1).
        ts = modal_settling_time_s(pvecs[:, rest], -k, rates, cfg.gbw_hz, cfg.settle_epsilon,
                                   norm)  # fmt: skip
        return quantize(delta, cfg.adc_bits), ts

    steps = cfg.max_refinement_iterations if tolerance is not None else cfg.refinement_iterations
    for _ in range(steps):
        r, rho = residual(v)
        if tolerance is not None and np.linalg.norm(r) <= tolerance * abs(rho):
            break
        delta, ts = correction(r)
        v = v + delta
        v = v / np.linalg.norm(v)
        settle += ts
        solves += 1
    if tolerance is not None and solves - 1 == steps:
        residual(v)  # the check after the last step
    av = a @ v
    rho_f = float(v @ av)
    rel_res = float(np.linalg.norm(av - rho_f * v) / abs(rho_f)) if rho_f else float("inf")
    if tolerance is not None and rel_res > tolerance:
        raise refinement_failed("eigenvector", rel_res, solves - 1, tolerance, cfg)
    err = float(min(np.linalg.norm(v - exact), np.linalg.norm(v + exact)))
    energy = _power_energy(cfg, adc, n, prog.conductance_us, settle, n * solves)
    energy["dac"] = cfg.dac_energy_fj * 1e-3 * n * solves
    energy["residual"], energy["residual_memory"] = res[1], res[2]
    programming = _programming(device, prog, a / prog.scale, cfg, tile_rows)
    energy["programming"] = programming.energy_pj
    return SolveResult(
        v, err, 0.0, 0.0, float(gap), settle, energy, refinement_iterations=solves - 1,
        settling_bound_s=bound * solves, settle_once_s=t, programming=programming,
        residual_time_s=res[0], residual_link_bytes=res[3], relative_residual=rel_res,
        residual_passes=res[4],
    )


def _power_energy(
    cfg: ClosedLoopConfig, adc: AdcModel, opamps: int, conductance_us: float, t_s: float,
    outputs: int,
) -> dict[str, float]:
    """Power x time of op-amps and cells, plus DAC inputs and ADC read-out."""
    v = cfg.read_voltage_v
    return {
        "opamp": opamps * cfg.opamp_power_w * t_s * 1e12,
        "cell": v * v * conductance_us * 1e-6 * t_s * 1e12,
        "adc": adc_energy_fj(adc, cfg.adc_bits) * 1e-3 * outputs,
        "dac": cfg.dac_energy_fj * 1e-3 * opamps,
        "residual": 0.0,
        "residual_memory": 0.0,
    }
