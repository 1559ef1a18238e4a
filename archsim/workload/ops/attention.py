"""Scaled dot-product attention: grouped-query heads, causal mask, KV cache read and append."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from archsim.config.base import FieldError
from archsim.workload.ops.base import (
    Expect,
    Gemm,
    OpBase,
    Positive,
    Problems,
    elements,
    holds,
    tensors_of,
)

SCORE_FLOPS = 6  # per (query, key) score: scale 1 + softmax 5 (max, subtract, exp, sum, divide)


@lru_cache(maxsize=256)
def _triangle(n: int) -> tuple[tuple[tuple[int, int], int], ...]:
    """A lower triangle with its diagonal (n rows) as rectangles: ((rows, cols), count).

    T(n) = T(ceil n/2) + T(floor n/2) + one floor(n/2) x ceil(n/2) rectangle, so the number of
    distinct shapes grows with log n and the pair count is exactly n(n+1)/2.
    """
    if n == 1:
        return (((1, 1), 1),)
    a, b = n - n // 2, n // 2
    blocks: Counter[tuple[int, int]] = Counter({(b, a): 1})
    for part in (a, b):
        for shape, count in _triangle(part):
            blocks[shape] += count
    return tuple(sorted(blocks.items()))


class AttentionOp(OpBase):
    """Scaled dot-product attention with grouped-query heads, causal mask and KV cache.

    Inputs ``[q, k, v]`` or ``[q, k, v, k_cache, v_cache]``. ``k``/``v`` hold the
    ``kv_len - cache_len`` new tokens; ``cache_len`` earlier tokens are read from the caches, and
    with ``append`` the new tokens are written into them (the caches are updated in place, so they
    stay inputs of this op). Queries are the last ``q_len`` of the ``kv_len`` positions.
    """

    kind: Literal["attention"] = "attention"
    batch: Positive = 1
    heads: Positive
    kv_heads: int | None = Field(None, ge=1, description="key/value heads (GQA); default heads")
    head_dim: Positive
    q_len: Positive
    kv_len: Positive
    causal: bool = False
    cache_len: int = Field(0, ge=0, description="tokens read from the KV cache inputs")
    append: bool = Field(False, description="write the new k/v tokens into the caches")
    cache_lens: tuple[int, ...] | None = Field(
        None,
        description="tokens cached per sequence (one per batch row, each at most cache_len):"
        " requests of a batch at different context lengths",
    )
    arity_in: ClassVar = (3, 5)
    input_names: ClassVar = ("q", "k", "v", "k_cache", "v_cache")

    @model_validator(mode="after")
    def _heads(self) -> AttentionOp:
        if self.heads % self.groups_kv:
            raise FieldError("kv_heads", f"{self.groups_kv} does not divide heads ({self.heads})")
        if self.cache_len >= self.kv_len:
            raise FieldError(
                "cache_len",
                f"{self.cache_len} leaves no new key/value tokens of kv_len {self.kv_len}",
            )
        if self.causal and self.q_len > self.kv_len:
            raise FieldError("q_len", f"{self.q_len} exceeds kv_len {self.kv_len} under causal")
        if self.cache_lens is not None:
            if len(self.cache_lens) != self.batch:
                raise FieldError(
                    "cache_lens",
                    f"{len(self.cache_lens)} lengths for a batch of {self.batch}: give one per"
                    " sequence",
                )
            if min(self.cache_lens) < 0 or max(self.cache_lens) != self.cache_len:
                raise FieldError(
                    "cache_lens",
                    f"lengths must lie in [0, cache_len] and the longest equal cache_len"
                    f" ({self.cache_len}); got {min(self.cache_lens)}..{max(self.cache_lens)}",
                )
        return self

    def contexts(self) -> list[tuple[int, int]]:
        """(sequences, cached tokens) of the batch, one entry per distinct context length."""
        if self.cache_lens is None:
            return [(self.batch, self.cache_len)]
        return sorted((n, c) for c, n in Counter(self.cache_lens).items())

    def by_context(self) -> list[AttentionOp]:
        """The op as one op per distinct context length (each with a single cache_len)."""
        if self.cache_lens is None:
            return [self]
        return [
            self.model_copy(
                update={
                    "batch": n,
                    "cache_len": c,
                    "kv_len": c + self.new_tokens,
                    "cache_lens": None,
                }
            )
            for n, c in self.contexts()
        ]

    @property
    def groups_kv(self) -> int:
        return self.kv_heads or self.heads

    @property
    def new_tokens(self) -> int:
        return self.kv_len - self.cache_len

    def pairs(self, kv_len: int | None = None) -> int:
        """(query, key) pairs scored per sequence and head (of ``kv_len`` keys, default the
        op's)."""
        q, kv = self.q_len, self.kv_len if kv_len is None else kv_len
        if not self.causal:
            return q * kv
        return q * (kv - q) + q * (q + 1) // 2

    def _all_pairs(self) -> int:
        """(query, key) pairs per head over the whole batch."""
        return sum(n * self.pairs(c + self.new_tokens) for n, c in self.contexts())

    def macs(self) -> int:
        return 2 * self.heads * self.head_dim * self._all_pairs()

    def flops(self) -> int:
        return 2 * self.macs() + SCORE_FLOPS * self.heads * self._all_pairs()

    def score_blocks(self, kv_len: int | None = None) -> list[tuple[int, int, int]]:
        """Score rectangles per (sequence, query head): (count, query rows, key columns)."""
        q, kv = self.q_len, self.kv_len if kv_len is None else kv_len
        if not self.causal or q == 1:
            return [(1, q, kv)]
        blocks = [(count, r, c) for (r, c), count in _triangle(q)]
        if kv > q:
            blocks.insert(0, (1, q, kv - q))
        return blocks

    def gemm_view(self) -> list[Gemm]:
        """QKᵀ and AV per key/value head, the query heads of a group stacked as rows."""
        group = self.heads // self.groups_kv
        view: list[Gemm] = []
        for n, cached in self.contexts():
            per = n * self.groups_kv
            blocks = self.score_blocks(cached + self.new_tokens)
            for count, rows, cols in blocks:
                view.append((per * count, rows * group, cols, self.head_dim))
            for count, rows, cols in blocks:
                view.append((per * count, rows * group, self.head_dim, cols))
        return view

    def _cache_elements(self, tokens: int) -> int:
        return self.batch * self.groups_kv * tokens * self.head_dim

    def bytes_read(self, workload) -> dict[str, int]:
        tensors = tensors_of(workload)
        out = {name: tensors[name].stored_bytes for name in self.inputs[:3]}
        cached = sum(n * c for n, c in self.contexts()) * self.groups_kv * self.head_dim
        for name in self.inputs[3:]:
            out[name] = tensors[name].part_bytes(cached)
        return out

    def bytes_written(self, workload) -> dict[str, int]:
        tensors = tensors_of(workload)
        out = {name: tensors[name].stored_bytes for name in self.outputs}
        if self.append:
            for name in self.inputs[3:]:
                out[name] = tensors[name].part_bytes(self._cache_elements(self.new_tokens))
        return out

    def check(self, tensors) -> Problems:
        if len(self.inputs) == 4:
            return [("inputs", "give both k_cache and v_cache, or neither")]
        return super().check(tensors)

    def expectations(self) -> list[Expect]:
        b, h, hd = self.batch, self.heads, self.head_dim
        qo = b * h * self.q_len * hd
        kv = self._cache_elements(self.new_tokens)
        kv_what = (
            f"batch·kv_heads·(kv_len-cache_len)·head_dim is {b}·{self.groups_kv}·"
            f"{self.new_tokens}·{hd}"
        )
        rules = [
            elements("inputs[0]", qo, f"batch·heads·q_len·head_dim is {b}·{h}·{self.q_len}·{hd}"),
            elements("inputs[1]", kv, kv_what),
            elements("inputs[2]", kv, kv_what),
            elements("outputs[0]", qo, f"the output holds {qo} elements"),
        ]
        if len(self.inputs) == 3:
            uncached = not (self.cache_len or self.append)
            need = "cache_len and append need k_cache and v_cache inputs"
            rules.append(holds(uncached, "inputs", need))
        return rules

    def extra_problems(self, tensors) -> Problems:
        if len(self.inputs) == 3:
            return []
        p: Problems = []
        need = self._cache_elements(self.cache_len + (self.new_tokens if self.append else 0))
        per_token = self._cache_elements(1)
        for i in (3, 4):
            t = tensors[self.inputs[i]]
            if t.elements < need or t.elements % per_token:
                p.append(
                    (
                        f"inputs[{i}]",
                        f"{self.inputs[i]!r} has shape {t.shape}: a cache of batch·kv_heads·"
                        f"tokens·head_dim with at least {need // per_token} tokens is needed",
                    )
                )
        return p
