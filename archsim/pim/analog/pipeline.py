"""Weight replication and layer pipelining of convolutions on analog tiles (ISAAC / PUMA style).

A convolution's weights (kh·kw·C_in/groups x C_out per group) sit in ``tiles_needed`` tiles; each
output pixel of each image is one MVM through them, so a layer takes (pixels) MVM latencies per
batch on one copy, its groups at once on their own tiles. The tiles the resident weights leave
free hold extra copies of conv layers; a layer with ``r`` copies splits its pixels over them
(Shafiee et al., ISAAC, ISCA 2016: replicate early layers to balance the pipeline; Ankit et
al., PUMA, ASPLOS 2019).

**Replication** (``pim.conv_replication: balance``): the smallest bottleneck T such that giving
every conv layer the copies that bring its MVM steps per batch to at most T fits in the spare
tiles (a bisection on T: ISAAC's balancing). Each copy costs its tiles (area) and one more
programming of its weights (energy, written once per deployment); the MVMs, so the read energy,
are the same in number.

**Pipelining** (reported, not used by ``run``'s schedule): consecutive analog conv/GEMM layers
run at once on their own tiles, a layer starting when its predecessor has produced the rows its
first window needs (kernel-height rows of the previous output for a conv; the whole output for a
GEMM) and ending no sooner than its own steps later, nor before its last output row after its
predecessor ends (ISAAC's inter-layer pipeline), against the sequential Σ steps.
Layers are taken in the workload's op order as one chain [simplification: residual branches
are not overlapped]; a weight layer placed on the host ends a segment, ops without weights
(activation, norm, pooling, add) stream between layers [simplification].
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace

from archsim.config.compute import AnalogCrossbarConfig
from archsim.pim.shapes import gemv_shapes

_MVM_KINDS = ("gemv", "gemm", "conv2d")
_BISECT = 60


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str
    repeat: int
    tiles_per_copy: int  # tiles of one copy of one repeat's weights (bit slices included)
    steps: tuple[int, ...]  # MVMs per shape (its input vectors) on one copy
    copies: int = 1
    kernel_rows: int = 0  # conv: kernel height (rows of the previous output a window needs)
    row_mvms: tuple[int, ...] = ()  # conv: MVMs per shape of one output row (out_width)

    def time_steps(self, copies: int | None = None) -> int:
        r = self.copies if copies is None else copies
        # Every shape (group, batched matrix) has its own tiles: they run at once.
        return max(math.ceil(s / r) for s in self.steps)

    @property
    def tiles(self) -> int:
        return self.copies * self.tiles_per_copy * self.repeat


@dataclass
class Plan:
    """Copies of each layer, the tiles they use, and the pipelined vs sequential MVM steps."""

    layers: list[Layer] = field(default_factory=list)
    tiles: int = 0  # of the banks
    base_tiles: int = 0  # one copy of every resident weight

    @property
    def copies(self) -> dict[str, int]:
        return {layer.name: layer.copies for layer in self.layers}

    @property
    def tiles_used(self) -> int:
        return sum(layer.tiles for layer in self.layers)

    def sequential_steps(self) -> int:
        return sum(layer.time_steps() * layer.repeat for layer in self.layers)

    def pipelined_steps(self, names: list[list[str]] | None = None) -> int:
        """Σ over segments of the chain's finish time: ``names`` are the segments (consecutive
        analog layers), default one segment of every layer. In a chain, a layer starts when its
        predecessor has produced what its first window needs (:func:`_fill_steps`) and finishes
        no sooner than its own steps after that, nor before its last output row after the
        predecessor finishes."""
        by_name = {layer.name: layer for layer in self.layers}
        segments = names if names is not None else [list(by_name)]
        total = 0
        for seg in segments:
            chain = [by_name[n] for n in seg for _ in range(by_name[n].repeat)]
            if not chain:
                continue
            start, finish = 0, chain[0].time_steps()
            for prev, nxt in itertools.pairwise(chain):
                if _streams(prev, nxt):
                    start = start + min(_fill_steps(prev, nxt), prev.time_steps())
                    tail = max(math.ceil(w / nxt.copies) for w in nxt.row_mvms)
                    finish = max(start + nxt.time_steps(), finish + tail)
                else:  # a GEMM needs its whole input
                    start = finish
                    finish = start + nxt.time_steps()
            total += finish
        return total


def _streams(prev: Layer, nxt: Layer) -> bool:
    return prev.kind == "conv2d" and nxt.kind == "conv2d"


def _fill_steps(prev: Layer, nxt: Layer) -> int:
    """MVM steps conv ``prev`` takes before conv ``nxt`` can start: the rows of its output the
    first window of ``nxt`` needs (kernel height)."""
    return max(math.ceil(min(nxt.kernel_rows * w, s) / prev.copies)
               for s, w in zip(prev.steps, prev.row_mvms, strict=True))  # fmt: skip


def _layer(op, tiles_per_copy: int) -> Layer:
    steps = tuple(batch for batch, _, _ in gemv_shapes(op))
    if op.kind == "conv2d":
        return Layer(op.name, op.kind, op.repeat, tiles_per_copy, steps, 1, op.kernel[0],
                     (op.out_width,) * len(steps))  # fmt: skip
    return Layer(op.name, op.kind, op.repeat, tiles_per_copy, steps, 1, 0, steps)


def _copies_for(layer: Layer, target: float) -> int:
    """Fewest copies bringing the layer's steps to at most ``target`` (at most one per MVM)."""
    most = max(layer.steps)
    lo, hi = 1, most
    if layer.time_steps(hi) > target:
        return most
    while lo < hi:
        mid = (lo + hi) // 2
        if layer.time_steps(mid) <= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def plan(pim: AnalogCrossbarConfig, workload, tiles_needed, ops=None) -> Plan:
    """Replication of the conv layers among ``ops`` (default: every weight MVM op of the
    workload) in the tiles their single copies leave free (see the module doc);
    ``tiles_needed(pim, op)``: the tiles of one copy of an op's weights."""
    if ops is None:
        ops = [
            op for op in workload.ops
            if op.kind in _MVM_KINDS
            and any(workload.tensors[t].role == "weight" for t in op.inputs)
        ]  # fmt: skip
    layers = [_layer(op, tiles_needed(pim, op)) for op in ops]
    base = sum(layer.tiles for layer in layers)
    result = Plan(layers, pim.tiles, base)
    if getattr(pim, "conv_replication", "none") != "balance" or base >= pim.tiles:
        return result
    convs = [i for i, layer in enumerate(layers) if layer.kind == "conv2d"]
    if not convs:
        return result
    budget = pim.tiles - base  # extra copies must fit here

    def extra(target: float) -> int:
        return sum(
            (_copies_for(layers[i], target) - 1) * layers[i].tiles_per_copy * layers[i].repeat
            for i in convs
        )

    hi = float(max(layers[i].time_steps() for i in convs))
    lo = 1.0  # one MVM step per layer at best
    if extra(lo) <= budget:
        hi = lo
    else:
        for _ in range(_BISECT):
            if hi - lo <= 0.5:
                break
            mid = math.sqrt(lo * hi) if lo > 0 else hi / 2
            if extra(mid) <= budget:
                hi = mid
            else:
                lo = mid
    for i in convs:
        layers[i] = replace(layers[i], copies=_copies_for(layers[i], hi))
    result.layers = layers
    return result


def segments(workload, placed: set[str]) -> list[list[str]]:
    """Runs of analog MVM layers in ``placed`` (workload order); a weight MVM op outside
    ``placed`` (on the host) ends a run. Ops without weights between layers (activation, norm,
    pooling, residual add) stream on the host at the pipeline's rate [simplification]."""
    out: list[list[str]] = [[]]
    for op in workload.ops:
        if op.name in placed:
            out[-1].append(op.name)
        elif (
            op.kind in _MVM_KINDS
            and any(workload.tensors[t].role == "weight" for t in op.inputs)
            and out[-1]
        ):
            out.append([])
    return [s for s in out if s]
