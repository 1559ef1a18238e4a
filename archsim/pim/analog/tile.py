"""A weight matrix programmed onto crossbar tiles, and its noisy MVM.

The matrix (n_in x n_out) is cut into rows x cols tiles; each tile (and each weight slice) is
programmed with its own seed, ``hash(seed, tile index)``, so results do not depend on how tiles
are spread over workers. Weights map to differential pairs g+ - g- scaled to gmax by the
matrix's max|W|; outputs are in the same normalized units as aihwkit's periphery.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from archsim.errors import ArchsimError
from archsim.pim.analog import devices, kernels
from archsim.pim.analog.config import TileConfig
from archsim.pim.analog.energy import MvmCost, mvm_cost

_SEED_MIX = 0x9E3779B1  # golden-ratio mixing constant: spreads tile indices over seed space


def tile_seed(seed: int, index: int, stream: int) -> int:
    """Seed of one tile's random stream (0 programming, 1 drift/read, 2+ MVM calls)."""
    return (seed * 1_000_003 + index * _SEED_MIX + stream * 7919) % (2**31 - 1)


@dataclass
class _Tile:
    rows: slice
    cols: slice
    weights: np.ndarray  # normalized effective weights, float32 (rows x cols) per slice
    gain: np.ndarray  # per-column calibration gain
    offset: np.ndarray
    drift_scale: float
    conductance_sum_us: np.ndarray  # per row: sum over columns of g+ + g- (for cell energy)


def check_weights(w: np.ndarray, n_in: int | None = None, n_out: int | None = None) -> np.ndarray:
    """Validate a weight matrix: 2-D, finite, the expected shape."""
    w = np.asarray(w)
    if w.ndim != 2:
        raise ArchsimError(f"weights: expected a 2-D matrix, got shape {w.shape}")
    if n_in is not None and n_out is not None and w.shape != (n_in, n_out):
        raise ArchsimError(
            f"weights: shape {w.shape} does not match --inputs {n_in} x --outputs {n_out}"
        )
    if not np.all(np.isfinite(w)):
        raise ArchsimError("weights: contains NaN or infinite values")
    if not np.any(w):
        raise ArchsimError("weights: all zero; nothing to map to conductances")
    return w.astype(np.float64)


class AnalogMatrix:
    """A weight matrix on analog tiles: program once, read at ``t_inference``, run MVMs."""

    def __init__(self, weights: np.ndarray, config: TileConfig) -> None:
        self.config = config
        w = check_weights(weights)
        self.n_in, self.n_out = w.shape
        self.w_max = float(np.max(np.abs(w)))
        self._calls = 0
        self.saturated = 0
        per = config.periphery
        self.row_tiles = math.ceil(self.n_in / config.rows)
        self.col_tiles = math.ceil(self.n_out / config.cols)
        self._slices = self._slice_weights(w / self.w_max)
        self._tiles: list[list[_Tile]] = []
        index = 0
        for ti in range(self.row_tiles):
            for tj in range(self.col_tiles):
                rs = slice(ti * config.rows, min((ti + 1) * config.rows, self.n_in))
                cs = slice(tj * config.cols, min((tj + 1) * config.cols, self.n_out))
                self._tiles.append(
                    [self._program(s[rs, cs], index * per.weight_slices + k)
                     for k, s in enumerate(self._slices)]
                )
                index += 1
        self._weight_of_slice = self._slice_factors()
        self._row_weights = [
            [
                np.ascontiguousarray(
                    np.hstack([self._tiles[ti * self.col_tiles + tj][k].weights
                               for tj in range(self.col_tiles)])
                )
                for k in range(per.weight_slices)
            ]
            for ti in range(self.row_tiles)
        ]
        if per.column_calibration:
            self._calibrate_columns(w)

    # -- programming -------------------------------------------------------------------------
    def _slice_weights(self, wn: np.ndarray) -> list[np.ndarray]:
        """Split normalized weights into slices of ``bits_per_slice`` (most significant first)."""
        per = self.config.periphery
        if per.weight_slices == 1:
            return [wn]
        step = 2**per.bits_per_slice
        total = step**per.weight_slices - 1
        q = np.round(np.abs(wn) * total).astype(np.int64)
        sign = np.sign(wn)
        out = []
        for k in reversed(range(per.weight_slices)):
            digit = (q // step**k) % step
            out.append(sign * digit / (step - 1))
        return out

    def _slice_factors(self) -> list[float]:
        per = self.config.periphery
        if per.weight_slices == 1:
            return [1.0]
        step = 2**per.bits_per_slice
        total = step**per.weight_slices - 1
        return [(step - 1) * step**k / total for k in reversed(range(per.weight_slices))]

    def _program(self, wn: np.ndarray, index: int) -> _Tile:
        cfg = self.config
        dev, _per = cfg.device, cfg.periphery
        span = dev.gmax_us - dev.gmin_us
        pos = np.where(wn > 0, wn, 0.0) * span + dev.gmin_us
        neg = np.where(wn < 0, -wn, 0.0) * span + dev.gmin_us
        seed = cfg.seed
        pair = []
        for half, target in enumerate((pos, neg)):
            sigma = devices.programming_sigma_us(dev, target)
            gp = kernels.program_kernel(
                np.ascontiguousarray(target), sigma, dev.d2d_variation, dev.stuck_on_rate,
                dev.stuck_off_rate, dev.gmin_us, dev.gmax_us, tile_seed(seed, 2 * index + half, 0),
            )
            mu, s = devices.drift_nu_stats(dev, gp)
            qs = devices.read_noise_q(dev, gp)
            t0 = dev.drift.t0_s if dev.drift is not None else 0.0
            t_eff = cfg.t_inference_s * devices.acceleration(dev, cfg.temperature_c)
            tf = devices.read_noise_time_factor(dev, t_eff)
            g0 = gp  # right after programming: the reference for drift compensation
            gt = kernels.drift_read_kernel(
                gp, mu, s, qs, t_eff, t0, tf, tile_seed(seed, 2 * index + half, 1)
            )
            gt = devices.age(dev, gt, t_eff, cfg.reads, tile_seed(seed, 2 * index + half, 4))
            pair.append((g0, gt))
        (g0p, gtp), (g0n, gtn) = pair
        w_now = self._ir_drop(gtp) - self._ir_drop(gtn)
        drift_scale = 1.0
        if cfg.compensation == "global":
            # Known input (all ones) read after programming and at t; scale by the mean |out| ratio.
            ref = np.abs((g0p - g0n).sum(axis=0)).mean()
            now = np.abs(w_now.sum(axis=0)).mean()
            drift_scale = float(ref / now) if now > 0 else 1.0
        _rows, cols = wn.shape
        return _Tile(
            rows=slice(None), cols=slice(None),
            weights=np.ascontiguousarray((w_now / span).astype(np.float32)),
            gain=np.ones(cols), offset=np.zeros(cols), drift_scale=drift_scale,
            conductance_sum_us=(gtp + gtn).sum(axis=1),
        )

    def _ir_drop(self, g_us: np.ndarray) -> np.ndarray:
        """First-order IR drop: each cell in series with the wire from its driver to its TIA.

        Path: (j + 1) row segments to the cell plus (rows - i) column segments down to the TIA,
        each ``wire_resistance``; g_eff = g / (1 + g * R_path). Ignores current sharing between
        cells on one wire (a second-order effect at these gR products).
        """
        r_w = self.config.periphery.wire_resistance_ohm
        if r_w == 0:
            return g_us
        rows, cols = g_us.shape
        path = r_w * ((np.arange(cols)[None, :] + 1) + (rows - np.arange(rows)[:, None]))
        g_s = g_us * 1e-6
        return g_s / (1 + g_s * path) * 1e6

    def _calibrate_columns(self, w: np.ndarray) -> None:
        """Per-column gain/offset: least squares of measured vs exact on random +-1 probes."""
        per = self.config.periphery
        rng = np.random.default_rng(tile_seed(self.config.seed, 0, 3))
        probe = rng.choice([-1.0, 1.0], size=(per.calibration_vectors, self.n_in))
        self._batch_of_call = probe.shape[0]
        measured = self._run(probe.astype(np.float32), calibrated=False)
        exact = probe @ w
        mx, my = measured.mean(axis=0), exact.mean(axis=0)
        var = ((measured - mx) ** 2).mean(axis=0)
        cov = ((measured - mx) * (exact - my)).mean(axis=0)
        gain = np.where(var > 0, cov / np.where(var > 0, var, 1.0), 1.0)
        self._col_gain = gain
        self._col_offset = my - gain * mx

    # -- inference ---------------------------------------------------------------------------
    def mvm(self, x: np.ndarray) -> np.ndarray:
        """y = x @ W for a batch of inputs (batch x n_in), through the noisy analog tiles."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        if x.shape[1] != self.n_in:
            raise ArchsimError(f"inputs: expected {self.n_in} columns, got {x.shape[1]}")
        self._batch_of_call = x.shape[0]
        y = self._run(x, calibrated=True)
        return y

    def _run(self, x: np.ndarray, calibrated: bool) -> np.ndarray:
        cfg, per = self.config, self.config.periphery
        batch = x.shape[0]
        y = np.zeros((batch, self.n_out), dtype=np.float64)
        self._cell_pj = 0.0
        self._rounds = 0.0
        call = self._calls
        self._calls += 1
        iterative = per.bound_management == "iterative"
        for ti in range(self.row_tiles):
            rs = slice(ti * cfg.rows, min((ti + 1) * cfg.rows, self.n_in))
            xs = np.ascontiguousarray(x[:, rs])
            reduction = np.ones(batch, dtype=np.float32)
            pending = np.arange(batch)
            rounds = 0
            while len(pending):
                last = not iterative or reduction[pending[0]] * 2 > per.bound_management_max_factor
                part_y, sat = self._row_tile(ti, xs[pending], reduction[pending], call, rounds)
                rounds += 1
                self._rounds += len(pending)
                if last:
                    done = np.ones(len(pending), dtype=bool)
                elif per.bound_management_scope == "batch":
                    done = np.full(len(pending), not sat.any())
                else:
                    done = sat == 0
                y[pending[done]] += part_y[done]
                pending = pending[~done]
                reduction[pending] *= 2
        self._rounds /= batch * self.row_tiles
        y *= self.w_max
        if calibrated and per.column_calibration:
            y = y * self._col_gain + self._col_offset
        return y

    def _row_tile(
        self, ti: int, xs: np.ndarray, reduction: np.ndarray, call: int, round_: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """One pass of some input vectors through row tile ``ti`` (all its column tiles and
        slices): their merged outputs and the saturated conversions of each vector."""
        cfg, per = self.config, self.config.periphery
        xq, scale, sq = kernels.dac_kernel(
            xs, per.dac_bits or 0, per.noise_management == "abs-max", reduction
        )
        out = np.zeros((xs.shape[0], self.n_out), dtype=np.float64)
        sat = np.zeros(xs.shape[0], dtype=np.int64)
        for k in range(per.weight_slices):
            # The tiles of one row share their inputs: one BLAS call computes all of their
            # column currents (same numbers as tile by tile, far better BLAS efficiency).
            part = xq @ self._row_weights[ti][k]
            for tj in range(self.col_tiles):
                index = ti * self.col_tiles + tj
                tile = self._tiles[index][k]
                cs = slice(tj * cfg.cols, min((tj + 1) * cfg.cols, self.n_out))
                seed_k = tile_seed(cfg.seed, index * per.weight_slices + k, 2 + call)
                if round_:
                    seed_k = tile_seed(seed_k, round_, 1)
                # Contiguous always: numba compiles a kernel once per array layout, and a column
                # slice of several tiles is strided ('A') where a single tile's is not ('C').
                self.saturated += kernels.adc_accumulate_kernel(
                    np.ascontiguousarray(part[:, cs]), seed_k, per.out_noise, per.adc_range or 0.0,
                    per.adc_bits or 0, tile.drift_scale * self._weight_of_slice[k], scale, out,
                    cs.start, sat,
                )
                # V^2 * G * t per row, with the actual mean squared drive.
                self._cell_pj += float(
                    (per.read_voltage_v**2) * per.integration_ns * 1e-9
                    * np.dot(sq, tile.conductance_sum_us) * 1e-6 * 1e12
                ) * xs.shape[0] / max(self._batch_of_call, 1)
        return out, sat

    def cost(self) -> MvmCost:
        """Energy and latency of one MVM, using the drive of the last ``mvm`` call; bound
        management's re-runs multiply the converters' energy and the latency by the mean
        passes per vector and row tile."""
        cfg = self.config
        base = mvm_cost(
            cfg.periphery, getattr(self, "_cell_pj", 0.0), self.row_tiles, self.col_tiles,
            cfg.rows, cfg.cols, self.n_in, self.n_out,
        )
        rounds = max(getattr(self, "_rounds", 1.0), 1.0)
        energy = {k: v if k == "cell" else v * rounds for k, v in base.energy_pj.items()}
        return MvmCost(energy, base.latency_ns * rounds)

    @property
    def passes_per_mvm(self) -> float:
        """Mean passes per input vector and row tile in the last call (1: no re-run)."""
        return max(getattr(self, "_rounds", 1.0), 1.0)

    def programming_cost(self) -> tuple[float, float]:
        """(time s, energy pJ) of write-verify programming all cells of all tiles."""
        cost = self.programming()
        return cost.time_s, cost.energy_pj

    def programming(self):
        """The write-verify cost of this matrix (:mod:`archsim.pim.analog.programming`)."""
        from archsim.pim.analog.programming import write_verify_cost

        cfg = self.config
        return write_verify_cost(
            cfg.device, self.n_in, self.n_out, cfg.rows, 2 * cfg.periphery.weight_slices
        )
