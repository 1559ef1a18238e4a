"""Accuracy of an analog op at its full shape, through all of its tiles.

The op's weight matrix (n_in x n_out, Gaussian weights: the model's real weights are not in the
trace) is cut into column blocks one tile wide; a block holds every row tile of its outputs, so
an output's partial sums across row tiles, each tile's own ADC and the digital merge all happen
inside one block. Every block is programmed with its own seed; its squared output error is
``e_j`` and the squared norm of its exact outputs ``y_j``.

The relative error of the whole op is ``R = sqrt(Σ_j e_j / Σ_j y_j)``. When the op has few blocks
all of them run (``exact``). Otherwise blocks are drawn at random without replacement and
``Σ_j e_j`` is estimated by expansion, ``B/b · Σ_sampled e_j``, which is unbiased for the total
(simple random sampling, Cochran 1977, ch. 2); its variance is ``B²(1 - b/B)s²/b`` with ``s²`` the
sample variance of ``e_j``. The 95% interval on R² uses Student's t with b - 1 degrees of
freedom; blocks are added until the interval on R is within ±10% of the estimate
(``TARGET_HALF_WIDTH``), or every block has run. ``Σ_j y_j`` is exact for the blocks that ran
and, for the others, its expectation ``|x|²_F`` per output (their weights are N(0, 1)): drawing
every block of a 4096 x 32000 op only to normalise would cost more than the estimate; the
relative deviation this leaves is about ``sqrt(2 / (batch x outputs not run))``, under 1% for
any op that is sampled [derived]. R², a ratio of an unbiased total to a (near-)exact one, is
unbiased to that order; R, a square root, carries the usual second-order bias of one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from archsim.pim.analog.config import TileConfig
from archsim.pim.analog.tile import AnalogMatrix

TARGET_HALF_WIDTH = 0.10  # the 95% interval on R within ±10% of R
MIN_BLOCKS = 4  # blocks before the interval is trusted
EXACT_BLOCKS = 8  # ops with at most this many blocks run all of them
BATCH = 16  # input vectors per op
# Student's t 0.975 quantiles for 1..30 degrees of freedom (standard tables); 1.96 beyond.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t975(dof: int) -> float:
    return _T975[dof - 1] if 1 <= dof <= len(_T975) else 1.96


@dataclass(frozen=True)
class AccuracyEstimate:
    """Relative Frobenius error of the op's output, its 95% interval, and how it was measured."""

    rel_error: float
    low: float
    high: float
    blocks_run: int
    blocks: int
    cell_pj_per_weight: float  # cell read energy per MVM per weight, from the blocks run

    @property
    def exact(self) -> bool:
        return self.blocks_run == self.blocks


def _block_weights(seed: int, block: int, n_in: int, width: int) -> np.ndarray:
    """Block ``block``'s Gaussian weights (float32 draws: the exact norms of every block are
    needed, and float32 halves the cost of drawing a 4096 x 32000 op)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1, block]))
    return rng.standard_normal((n_in, width), dtype=np.float32)


_CACHE: dict[tuple, AccuracyEstimate] = {}


def op_accuracy(cfg: TileConfig, n_in: int, n_out: int, seed: int) -> AccuracyEstimate:
    """Full-shape relative error of an n_in x n_out op on ``cfg``'s tiles (see module doc),
    memoised per (tiles, shape, seed) within the process."""
    key = (cfg.model_dump_json(), n_in, n_out, seed)
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = _measure(cfg, n_in, n_out, seed)
    return _CACHE[key]


def _measure(cfg: TileConfig, n_in: int, n_out: int, seed: int) -> AccuracyEstimate:
    width = cfg.cols
    blocks = math.ceil(n_out / width)
    x = np.random.default_rng(np.random.SeedSequence([seed, 0])).uniform(-1.0, 1.0, (BATCH, n_in))
    widths = [min(width, n_out - j * width) for j in range(blocks)]
    x_norm2 = float(np.square(x).sum())
    order = np.random.default_rng(np.random.SeedSequence([seed, 2])).permutation(blocks)
    errs: list[float] = []
    y_run = 0.0
    cols_run = 0
    cell_pj = 0.0
    weights_run = 0
    for j in order:
        w = _block_weights(seed, int(j), n_in, widths[j]).astype(np.float64)
        m = AnalogMatrix(w, cfg.model_copy(update={"seed": (seed * 7919 + int(j)) % (2**31 - 1)}))
        y = m.mvm(x)
        exact = x @ w
        errs.append(float(np.square(y - exact).sum()))
        y_run += float(np.square(exact).sum())
        cols_run += widths[j]
        cell_pj += m.cost().energy_pj["cell"]
        weights_run += w.size
        # Outputs of blocks not run: their expected squared norm, |x|²_F per N(0,1) column.
        y_total = y_run + (n_out - cols_run) * x_norm2
        b = len(errs)
        if b == blocks:
            break
        if blocks > EXACT_BLOCKS and b >= MIN_BLOCKS:
            est, lo, hi = _interval(errs, blocks, y_total)
            if est > 0 and max(hi - est, est - lo) <= TARGET_HALF_WIDTH * est:
                break
    est, lo, hi = _interval(errs, blocks, y_total)
    return AccuracyEstimate(est, lo, hi, len(errs), blocks, cell_pj / weights_run)


def _interval(errs: list[float], blocks: int, y_total: float) -> tuple[float, float, float]:
    """(R, low, high): the expansion estimate of R and its 95% interval."""
    b = len(errs)
    e = np.asarray(errs)
    total = blocks * e.mean()
    r2 = total / y_total
    if b == blocks or b < 2:
        r = math.sqrt(r2)
        return r, r, r
    var = blocks**2 * (1 - b / blocks) * e.var(ddof=1) / b
    half = t975(b - 1) * math.sqrt(var) / y_total
    return math.sqrt(r2), math.sqrt(max(r2 - half, 0.0)), math.sqrt(r2 + half)
