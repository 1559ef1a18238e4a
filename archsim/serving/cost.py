"""The one door from serving into the simulator: what one scheduler iteration costs.

An iteration runs one forward pass over a mixed batch: ``decode_contexts`` (one new token per
decoding request, attending over its cached context) and ``prefill_chunks`` (``(new, cached)``
prompt tokens of requests being prefilled). Its cost is built from three parts, each timed by
:func:`archsim.simulate.run_side` on the LLM operator graphs of
:func:`archsim.workload.transformer.llm_workload`:

* the token-parallel layers (projections, MLP, norms, embedding, LM head) over all ``T`` token
  rows of the batch: every non-attention op of the decode graph at ``batch = T``;
* decode attention of ``B`` requests at mean cached context ``c``: the attention op of the
  decode graph at ``batch = B, context = c`` (its KV traffic is linear in each request's
  context, so the mean gives the batch's total);
* prefill attention of each chunk: the attention op of the prefill graph of that chunk.

Each part is read from the system engine's report (concurrent ops, tensor-parallel shards and
their collectives); one iteration runs its layers in dependency order, so its parts add. Each
part also carries the engine's action counts of its dynamic work, so a serve run adds up the
counts behind its energy (the summary's ``actions``) and another energy table can price them.
Known approximation: the LM head runs over all ``T`` rows, not only the rows that emit a token.

Memoization: each part is simulated at grid points (1, 2, 3, 4, 6, 8, 12, ...: powers of two and
1.5x powers of two, so neighbours are at most 1.5x apart; an interval across which a part is not
linear, such as activations outgrowing the host's buffer, is halved until it is) and linearly
interpolated between them, in two dimensions for attention. Attention time is close to
bilinear in batch and context (KV bytes = batch x context), so the interpolation is nearly
exact; a test bounds the effect on throughput and p99 TPOT against exact per-iteration costing.
``bucketing=False`` simulates every distinct iteration.

Parts are also kept on disk (``cache_dir``: ``$ARCHSIM_SERVE_CACHE``, else
``~/.cache/archsim/serve``; ``None`` turns it off), one JSON file per system, model, dtype, archsim
version and digest of archsim's source and presets (a source checkout's version never changes),
so a rate sweep or a second run simulates nothing twice and a changed model simulates anew. The
values are the simulator's own, keyed by the full resolved system config: a cached run equals a
fresh one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archsim.config.system import SystemConfig
from archsim.errors import ConfigError


@dataclass(frozen=True)
class IterationCost:
    """Time, energy, resource busy time and action counts of one iteration (or of one part).

    ``actions`` are the engine's action counts (:attr:`archsim.records.run.SideReport.counts`:
    DRAM activations and column bits, MACs, SRAM bytes, link bits, ...) of the dynamic work; an
    energy table prices them (:meth:`archsim.system.side.Models.price`) to ``energy_j`` less
    the background power. Counts add and scale with the work, so interpolated parts
    interpolate them as they do time and energy."""

    time_s: float
    energy_j: float
    host_s: float = 0.0  # time the host (GPU/NPU) is busy
    pim_s: float = 0.0  # time the in-memory units are busy
    actions: dict[str, float] | None = None  # the dynamic work's action counts

    def __add__(self, other: IterationCost) -> IterationCost:
        return IterationCost(
            self.time_s + other.time_s,
            self.energy_j + other.energy_j,
            self.host_s + other.host_s,
            self.pim_s + other.pim_s,
            _add_counts(self.actions, other.actions),
        )

    def scaled(self, k: float) -> IterationCost:
        actions = {n: v * k for n, v in self.actions.items()} if self.actions else self.actions
        return IterationCost(
            self.time_s * k, self.energy_j * k, self.host_s * k, self.pim_s * k, actions
        )

    @property
    def busy(self) -> dict[str, float]:
        """Busy fraction of each resource over the iteration."""
        t = self.time_s or 1.0
        return {"host": self.host_s / t, "pim": self.pim_s / t}


def _add_counts(a: dict[str, float] | None, b: dict[str, float] | None) -> dict[str, float] | None:
    if not b:
        return a
    if not a:
        return b
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0.0) + v
    return out


def add_counts_into(total: dict[str, float], counts: dict[str, float] | None) -> None:
    """Add ``counts`` into ``total`` in place."""
    if counts:
        for k, v in counts.items():
            total[k] = total.get(k, 0.0) + v


ZERO = IterationCost(0.0, 0.0)
# Energy components that grow with wall time rather than with work (archsim.energy.ledger).
BACKGROUND = ("dram_background", "dram_refresh", "host_static", "pim_static")


def is_wall_count(name: str) -> bool:
    """An action count of wall time (``run_time_s``, per device), priced as background power."""
    return name.rsplit("/", 1)[-1].startswith("run_time_s")


# Grid intervals where a part's time at the midpoint is off the straight line by more than
# this are halved (interpolation is only as good as the part is linear).
LINEAR_TOLERANCE = 0.005


@functools.cache
def source_digest() -> str:
    """A digest of archsim's own source: a source checkout's version never changes, so the
    disk cache is keyed by the code too (a changed host or memory model must not be served
    costs it no longer computes)."""
    root = Path(__file__).resolve().parent.parent
    configs = root.parent / "configs"  # a source tree's presets (installed: inside the package)
    files = [*root.rglob("*.py"), *root.rglob("*.yaml")]
    if configs.is_dir():
        files += configs.rglob("*.yaml")
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def grid_points(x: float) -> tuple[int, int]:
    """The grid points around ``x`` >= 1: powers of two and 1.5x powers of two (``(x, x)`` when
    ``x`` is one)."""
    if x <= 1:
        return 1, 1
    p = 2 ** math.floor(math.log2(x))
    mid = p * 3 // 2 if p >= 2 else 2
    for g in (p, mid, 2 * p):
        if x == g:
            return g, g
    return (p, mid) if x < mid else (mid, 2 * p)


def _lerp(a: IterationCost, b: IterationCost, w: float) -> IterationCost:
    return a.scaled(1 - w) + b.scaled(w) if w else a


@dataclass
class CostModel:
    """Iteration costs of one system (in-memory or baseline) serving one model."""

    system: SystemConfig
    model: str
    dtype: str = "fp16"
    bucketing: bool = True
    fidelity: str = "fast"
    cache_dir: Path | None = None
    calls: int = 0  # run_side simulations made (the rest came from the memo)
    _parts: dict[tuple, IterationCost] = field(default_factory=dict)
    _exact: dict[tuple, IterationCost] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from archsim.config.energy import EnergyTable
        from archsim.config.presets import load_yaml_model
        from archsim.workload.models import LLM_MODELS, unknown_model

        if self.model not in LLM_MODELS:
            raise unknown_model(self.model, LLM_MODELS)
        try:
            self.system.require_run_parts()
        except ValueError as exc:
            raise ConfigError(f"{self.system.name}: {exc}") from None
        assert self.system.energy is not None
        self.table = load_yaml_model(EnergyTable, "energy", self.system.energy)
        # Power drawn whatever runs (DRAM standby and refresh, static power) on every device,
        # W: read from the first simulation (its wall-time energy over its time).
        self.background_w: float | None = None
        # The wall-time action counts behind that power, per second of serving (same source).
        self.background_counts: dict[str, float] | None = None
        from archsim.workload.models import TRANSFORMERS

        spec = TRANSFORMERS[self.model]
        # Learned position tables bound the context (rotary models are not bounded here).
        self.max_context = spec.max_positions if spec.positions == "learned" else None
        self._stored = 0
        if self.cache_dir is not None:
            self._parts.update(self._load())
            self._stored = len(self._parts)

    # -- the disk cache --------------------------------------------------------------------------

    def _cache_file(self) -> Path | None:
        from archsim.version import __version__

        if self.cache_dir is None:
            return None
        ident = json.dumps(
            [
                __version__,
                source_digest(),
                self.system.model_dump_json(),
                self.model,
                self.dtype,
                self.fidelity,
            ]
        )
        digest = hashlib.sha256(ident.encode()).hexdigest()[:24]
        return Path(self.cache_dir) / f"{self.model}-{digest}.json"

    def _load(self) -> dict[tuple, IterationCost]:
        path = self._cache_file()
        try:
            data = json.loads(path.read_text()) if path and path.is_file() else []
            parts = {tuple(k): IterationCost(*v) for k, v in data if k[0] != "background"}
            for k, v in data:
                if k[0] == "background" and self.background_w is None:
                    self.background_w, self.background_counts = v
            return parts
        except (OSError, ValueError, TypeError):
            return {}  # unreadable: simulate again

    def save(self) -> None:
        """Write the parts simulated so far (merged with what another process wrote)."""
        path = self._cache_file()
        if path is None or len(self._parts) == self._stored:
            return
        from archsim.serving.requests import atomic_write

        merged = {**self._load(), **self._parts}
        rows = [
            [list(k), [v.time_s, v.energy_j, v.host_s, v.pim_s, v.actions]]
            for k, v in merged.items()
        ]
        if self.background_w is not None:
            rows.append([["background"], [self.background_w, self.background_counts]])
        try:
            atomic_write(path, lambda p: p.write_text(json.dumps(rows)))
            self._stored = len(self._parts)
        except OSError:
            pass  # a read-only cache directory costs time, not correctness

    # -- simulation of one graph ----------------------------------------------------------------

    def _simulate(self, phase: str, batch: int, context: int, tokens: int | None):
        """One graph on the engine: (its attention ops, everything else). Attention is read
        from its op records (an attention op runs between its projections, never beside
        them); the rest is the makespan less attention, so collectives, overlap and waits
        count. Energy is the dynamic part; background power is charged per iteration."""
        from archsim.simulate import run_side
        from archsim.workload.transformer import llm_workload

        wl = llm_workload(
            self.model, phase, batch=batch, context=context, tokens=tokens, dtype=self.dtype
        )
        self.calls += 1
        report = run_side(self.system, wl, self.table, self.fidelity).report
        seconds = report.time_ns * 1e-9
        background_j = sum(report.energy_pj.get(k, 0.0) for k in BACKGROUND) * 1e-12
        wall = {k: v for k, v in report.counts.items() if is_wall_count(k)}
        if self.background_w is None and seconds > 0:
            self.background_w = background_j / seconds
            self.background_counts = {k: v / seconds for k, v in wall.items()}
        dynamic_j = report.energy_pj["total"] * 1e-12 - background_j
        attention, host_s, pim_s = ZERO, 0.0, 0.0
        for op in report.ops:
            t = op.time_ns * 1e-9
            if op.kind == "attention":
                on_host = op.unit == "host"
                part = IterationCost(
                    t, op.energy_pj * 1e-12, t if on_host else 0.0, 0.0 if on_host else t,
                    dict(op.counts),
                )  # fmt: skip
                attention = attention + part
            elif op.unit == "host":
                host_s += t
            else:
                pim_s += t
        rest_t = max(seconds - attention.time_s, 0.0)
        spent = attention.actions or {}
        rest = IterationCost(
            rest_t,
            max(dynamic_j - attention.energy_j, 0.0),
            min(host_s, rest_t),
            min(pim_s, rest_t),
            {k: max(v - spent.get(k, 0.0), 0.0) for k, v in report.counts.items() if k not in wall},
        )
        return attention, rest

    def _part(self, key: tuple) -> IterationCost:
        if key not in self._parts:
            kind = key[0]
            if kind == "fc":
                _, rest = self._simulate("decode", key[1], 1, None)
                self._parts[key] = rest
            elif kind == "dattn":
                attention, rest = self._simulate("decode", key[1], max(key[2], 1), None)
                self._parts[key] = attention
                self._parts.setdefault(("fc", key[1]), rest)
            else:  # prefill attention of `new` tokens on `cached` ones
                new, cached = key[1], key[2]
                attention, _ = self._simulate("prefill", 1, cached + new, new)
                self._parts[key] = attention
        return self._parts[key]

    # -- interpolation over the grid -------------------------------------------------------------

    def _axis(self, x: float, cap: int | None = None) -> tuple[int, int, float]:
        if not self.bucketing:
            r = max(round(x), 1)
            return r, r, 0.0
        lo, hi = grid_points(x)
        if cap is not None and hi > cap:  # the model has no positions beyond its table
            hi = max(cap, lo)
        return lo, hi, (x - lo) / (hi - lo) if hi != lo else 0.0

    def _refine(self, key, lo: int, hi: int, x: float) -> tuple[int, int, float]:
        """``(lo, hi, weight)`` with the interval around ``x`` halved while the part's time is
        not linear across it (within LINEAR_TOLERANCE at the midpoint): a step such as an
        activation no longer fitting the host's buffer gets its own grid points."""
        while hi - lo > 1:
            mid = (lo + hi) // 2
            a, b, m = self._part(key(lo)), self._part(key(hi)), self._part(key(mid))
            w = (mid - lo) / (hi - lo)
            guess = a.time_s * (1 - w) + b.time_s * w
            if abs(guess - m.time_s) <= LINEAR_TOLERANCE * m.time_s:
                break
            lo, hi = (lo, mid) if x <= mid else (mid, hi)
        return lo, hi, (x - lo) / (hi - lo) if hi != lo else 0.0

    def fc(self, rows: int) -> IterationCost:
        lo, hi, w = self._axis(rows)
        if self.bucketing:
            lo, hi, w = self._refine(lambda r: ("fc", r), lo, hi, rows)
        return _lerp(self._part(("fc", lo)), self._part(("fc", hi)), w)

    def decode_attention(self, batch: int, mean_context: float) -> IterationCost:
        b0, b1, wb = self._axis(batch)
        cap = self.max_context - 1 if self.max_context else None
        c0, c1, wc = self._axis(mean_context, cap)
        row0 = _lerp(self._part(("dattn", b0, c0)), self._part(("dattn", b0, c1)), wc)
        row1 = _lerp(self._part(("dattn", b1, c0)), self._part(("dattn", b1, c1)), wc)
        return _lerp(row0, row1, wb)

    def prefill_attention(self, new: int, cached: int) -> IterationCost:
        cap = self.max_context
        n0, n1, wn = self._axis(new, cap)
        if cached == 0:
            return _lerp(self._part(("pattn", n0, 0)), self._part(("pattn", n1, 0)), wn)
        if self.bucketing:
            c0, c1 = grid_points(cached)
            if cap is not None and c1 + n1 > cap:
                c1 = max(cap - n1, c0)
            wc = (cached - c0) / (c1 - c0) if c1 != c0 else 0.0
        else:
            c0 = c1 = cached
            wc = 0.0
        row0 = _lerp(self._part(("pattn", n0, c0)), self._part(("pattn", n0, c1)), wc)
        row1 = _lerp(self._part(("pattn", n1, c0)), self._part(("pattn", n1, c1)), wc)
        return _lerp(row0, row1, wn)

    # -- the iteration ---------------------------------------------------------------------------

    def iteration(
        self, decode_count: int, context_sum: int, prefill_chunks: Sequence[tuple[int, int]]
    ) -> IterationCost:
        """Cost of an iteration with ``decode_count`` decoding requests whose cached contexts sum
        to ``context_sum``, and prefill chunks ``(new tokens, cached tokens)``."""
        key = (decode_count, context_sum, tuple(prefill_chunks))
        hit = self._exact.get(key)
        if hit is not None:
            return hit
        rows = decode_count + sum(n for n, _ in prefill_chunks)
        if rows == 0:
            return ZERO
        cost = self.fc(rows)
        if decode_count:
            cost = cost + self.decode_attention(decode_count, context_sum / decode_count)
        for new, cached in prefill_chunks:
            cost = cost + self.prefill_attention(new, cached)
        power = self.background_w or 0.0
        cost = IterationCost(
            cost.time_s, cost.energy_j + power * cost.time_s, cost.host_s, cost.pim_s, cost.actions
        )
        if len(self._exact) < 1_000_000:
            self._exact[key] = cost
        return cost


_MODELS: dict[tuple, CostModel] = {}


def default_cache_dir() -> Path:
    env = os.environ.get("ARCHSIM_SERVE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "archsim" / "serve"


def cost_model(
    system: SystemConfig,
    model: str,
    dtype: str = "fp16",
    bucketing: bool = True,
    cache: bool = True,
) -> CostModel:
    """A cost model, kept per process by (system, model, dtype, bucketing, cache)."""
    key = (system.model_dump_json(), model, dtype, bucketing, cache)
    if key not in _MODELS:
        where = default_cache_dir() if cache else None
        _MODELS[key] = CostModel(system, model, dtype, bucketing, cache_dir=where)
    return _MODELS[key]


def iteration_cost(
    system: SystemConfig,
    model: str,
    decode_contexts: Sequence[int],
    prefill_chunks: Sequence[int | tuple[int, int]] = (),
    bucketing: bool = True,
) -> IterationCost:
    """What one iteration costs: decoding requests at ``decode_contexts`` cached tokens each, and
    prefill chunks given as prompt-token counts (no cache) or ``(new, cached)`` pairs."""
    chunks = [(c, 0) if isinstance(c, int) else (int(c[0]), int(c[1])) for c in prefill_chunks]
    for new, cached in chunks:
        if new < 1 or cached < 0:
            raise ConfigError(f"prefill chunk ({new}, {cached}): new >= 1 and cached >= 0")
    if any(c < 0 for c in decode_contexts):
        raise ConfigError("decode_contexts: context lengths are >= 0")
    cm = cost_model(system, model, bucketing=bucketing)
    return cm.iteration(len(decode_contexts), int(sum(decode_contexts)), chunks)
