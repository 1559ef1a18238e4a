"""Closed-loop in-memory solvers: a crossbar in op-amp feedback (Sun et al., PNAS 2019).

Rows sit at virtual ground, op-amps drive the columns, so G·V = -I and V = -G⁻¹·I in one step.
With finite open-loop gain L0 the circuit solves (G + D/L0)·V = -I, D = diag(row sums of the
physical conductances); with single-pole op-amps dV/dt = -2π·GBW·D⁻¹(G·V + I), which settles
with τ = 1/(2π·GBW·λmin(D⁻¹G)) (Sun et al., IEEE TED 2020). Negative entries use a second
array and inverters: G = G⁺ - G⁻, both programmed with the device's noise.
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
from archsim.pim.analog.tile import tile_seed


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


def program_matrix(a: np.ndarray, device: DeviceConfig, seed: int) -> ProgrammedMatrix:
    """Map A to differential conductances and program them with the device's noise."""
    scale = float(np.max(np.abs(a)))
    an = a / scale
    span = device.gmax_us - device.gmin_us
    halves = []
    for half, part in enumerate((np.maximum(an, 0.0), np.maximum(-an, 0.0))):
        target = np.ascontiguousarray(part * span + device.gmin_us)
        sigma = devices.programming_sigma_us(device, target)
        halves.append(
            kernels.program_kernel(
                target,
                sigma,
                device.d2d_variation,
                device.stuck_on_rate,
                device.stuck_off_rate,
                device.gmin_us,
                device.gmax_us,
                tile_seed(seed, half, 0),
            )
        )
    gp, gn = halves
    return ProgrammedMatrix(
        a_eff=(gp - gn) / span,
        d=(gp + gn).sum(axis=1) / span,
        scale=scale,
        conductance_us=float((gp + gn).sum()),
    )


def loop_eigenvalues(a_n: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Eigenvalues of D⁻¹G: the loop's poles are -2π·GBW times these."""
    return np.linalg.eigvals(a_n / d[:, None])


def check_stable(a: np.ndarray, device: DeviceConfig) -> float:
    """λmin (smallest real part) of D⁻¹A for the ideal mapping; reject if the loop is unstable."""
    scale = float(np.max(np.abs(a)))
    an = a / scale
    span = device.gmax_us - device.gmin_us
    d = (np.abs(an) * span + 2 * device.gmin_us).sum(axis=1) / span
    lam = loop_eigenvalues(an, d)
    lam_min = float(lam.real.min())
    if lam_min <= 0:
        raise ArchsimError(
            f"matrix: no stable closed-loop solution: D⁻¹G has an eigenvalue with real part"
            f" {lam_min:.3g} <= 0, so the op-amp loop diverges; the feedback solver needs every"
            " eigenvalue in the right half-plane (e.g. a symmetric positive-definite matrix)"
        )
    return lam_min


def settling_time_s(lam_min: float, gbw_hz: float, epsilon: float) -> float:
    """τ·ln(1/ε), τ = 1/(2π·GBW·λmin)."""
    return math.log(1 / epsilon) / (2 * math.pi * gbw_hz * lam_min)


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
    """The analog solution, its error sources, time and energy, and the digital comparison."""

    x: np.ndarray
    solution_error: float
    finite_gain_error: float
    finite_gain_error_closed_form: float
    lambda_min: float  # slowest mode's rate: λmin(D⁻¹G), or the spectral gap in eigen mode
    settling_time_s: float
    energy_pj: dict[str, float] = field(default_factory=dict)
    refinement_iterations: int = 0
    digital: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def energy_total_pj(self) -> float:
        return sum(self.energy_pj.values())


def solve(
    a: np.ndarray,
    b: np.ndarray,
    cfg: ClosedLoopConfig,
    device: DeviceConfig,
    adc: AdcModel,
    seed: int = 0,
    digital: bool = True,
) -> SolveResult:
    """Solve A·x = b on a programmed crossbar in feedback (optionally refined digitally)."""
    a = check_matrix(a)
    b = np.asarray(b, dtype=np.float64)
    if b.shape != (a.shape[0],) or not np.all(np.isfinite(b)):
        raise ArchsimError(f"rhs: expected {a.shape[0]} finite values, got shape {b.shape}")
    n = a.shape[0]
    check_stable(a, device)
    prog = program_matrix(a, device, seed)
    lam = loop_eigenvalues(prog.a_eff, prog.d).real.min()
    if lam <= 0:
        raise ArchsimError(
            f"matrix: the programmed conductances make the loop unstable (λmin {lam:.3g});"
            " device error is too large for this matrix's conditioning"
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

    t_settle = settling_time_s(float(lam), cfg.gbw_hz, cfg.settle_epsilon)
    x = quantize(finite_gain_solve(prog.a_eff, prog.d, b / prog.scale, cfg.gain), cfg.adc_bits)
    solves = 1
    for _ in range(cfg.refinement_iterations):
        # Digital residual on the host, analog correction from the same programmed array.
        r = b - a @ x
        dx = quantize(finite_gain_solve(prog.a_eff, prog.d, r / prog.scale, cfg.gain), cfg.adc_bits)
        x = x + dx
        solves += 1
    err = float(np.linalg.norm(x - exact) / np.linalg.norm(exact))

    # Power x time: op-amps and cells (V²·G with outputs at the read-voltage scale).
    v = cfg.read_voltage_v
    opamp = n * cfg.opamp_power_w * t_settle * 1e12 * solves
    cells = v * v * prog.conductance_us * 1e-6 * t_settle * 1e12 * solves
    conv = adc_energy_fj(adc, cfg.adc_bits) * 1e-3 * n * solves
    dac = cfg.dac_energy_fj * 1e-3 * n * solves
    residual = (solves - 1) * 2 * n * n * cfg.digital.flop_energy_pj
    energy = {"opamp": opamp, "cell": cells, "adc": conv, "dac": dac, "residual": residual}
    result = SolveResult(
        x=x,
        solution_error=err,
        finite_gain_error=fg_err,
        finite_gain_error_closed_form=fg_closed,
        lambda_min=float(lam),
        settling_time_s=t_settle * solves,
        energy_pj=energy,
        refinement_iterations=cfg.refinement_iterations,
    )
    if digital:
        from archsim.pim.analog.digital_solver import compare

        result.digital = compare(a, b, max(err, 1e-12), cfg.digital)
    return result


def regression(
    x: np.ndarray,
    y: np.ndarray,
    cfg: ClosedLoopConfig,
    device: DeviceConfig,
    adc: AdcModel,
    seed: int = 0,
) -> SolveResult:
    """One-step least squares w = (XᵀX)⁻¹Xᵀy (Sun et al., Science Advances 2020).

    The circuit programs X once; its loop solves the normal equations, so the settling is set
    by λmin of D⁻¹X̃ᵀX̃ [simplification: D is the row-sum normalization of X̃ᵀX̃'s magnitudes].
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ArchsimError(f"regression: X {x.shape} and y {y.shape} do not match")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ArchsimError("regression: X or y contains NaN or infinite values")
    exact = np.linalg.lstsq(x, y, rcond=None)[0]
    prog = program_matrix(x, device, seed)
    xt = prog.a_eff  # normalized X as programmed
    g = xt.T @ xt
    d = np.abs(xt.T) @ np.abs(xt) @ np.ones(g.shape[0])
    lam = float(loop_eigenvalues(g, d).real.min())
    if lam <= 0:
        raise ArchsimError(
            f"regression: XᵀX is singular as programmed (λmin {lam:.3g}); no stable solution"
        )
    w = quantize(finite_gain_solve(g, d, xt.T @ (y / prog.scale), cfg.gain), cfg.adc_bits)
    err = float(np.linalg.norm(w - exact) / np.linalg.norm(exact))
    ideal = finite_gain_solve(g, d, xt.T @ (y / prog.scale), np.inf)
    fg = float(np.linalg.norm(w - ideal) / np.linalg.norm(ideal))
    t = settling_time_s(lam, cfg.gbw_hz, cfg.settle_epsilon)
    n, m = x.shape[1], x.shape[0]
    energy = _power_energy(cfg, adc, n + m, prog.conductance_us, t, n)
    return SolveResult(w, err, fg, fg, lam, t, energy)


def eigen(
    a: np.ndarray, cfg: ClosedLoopConfig, device: DeviceConfig, adc: AdcModel, seed: int = 0
) -> SolveResult:
    """Dominant eigenvector in one step (Sun et al., PNAS 2019): TIA feedback G_λ = λ1; the
    other modes decay at 2π·GBW·(1 - λk/λ1), so settling is set by the gap to λ2."""
    a = check_matrix(a)
    vals, vecs = np.linalg.eig(a)
    order = np.argsort(-np.abs(vals))
    if len(vals) > 1 and abs(vals[order[0]]) <= abs(vals[order[1]]) * (1 + 1e-12):
        raise ArchsimError("matrix: no dominant eigenvalue (|λ1| = |λ2|); the loop cannot settle")
    exact = np.real(vecs[:, order[0]])
    prog = program_matrix(a, device, seed)
    pv, pvecs = np.linalg.eig(prog.a_eff)
    porder = np.argsort(-np.abs(pv))
    v = quantize(np.real(pvecs[:, porder[0]]), cfg.adc_bits)
    v = v / np.linalg.norm(v)
    err = float(min(np.linalg.norm(v - exact), np.linalg.norm(v + exact)))
    gap = 1 - abs(pv[porder[1]]) / abs(pv[porder[0]]) if len(pv) > 1 else 1.0
    t = settling_time_s(float(gap), cfg.gbw_hz, cfg.settle_epsilon)
    energy = _power_energy(cfg, adc, a.shape[0], prog.conductance_us, t, a.shape[0])
    return SolveResult(v, err, 0.0, 0.0, float(gap), t, energy)


def _power_energy(
    cfg: ClosedLoopConfig,
    adc: AdcModel,
    opamps: int,
    conductance_us: float,
    t_s: float,
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
    }
