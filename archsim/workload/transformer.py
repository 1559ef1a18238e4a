"""Transformer workloads: LLM prefill and decode, BERT-style encoders, vision transformers.

The layer stack is stored once with ``repeat = layers`` (weights and KV caches with
``copies = layers``), so a 80-layer model is as compact as a 1-layer one and totals stay exact;
``compact=False`` writes every layer out (the tests check both agree).

Phases (``batch`` sequences):

* ``prefill``: ``tokens`` prompt tokens (default ``context``) on top of ``context - tokens``
  cached ones; K/V of the new tokens are appended to the cache; logits for the last token of
  each sequence only, as serving engines compute them.
* ``decode``: ``tokens`` (default 1) generation steps; step t reads a cache of ``context + t``
  tokens and appends one. Each step is its own compact layer stack.

Rotary position embedding is free (not counted), as the issue specifies. With one token row
(decode at batch 1) the projections are GEMVs, otherwise GEMMs. Weights are stored (out, in).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from archsim.errors import ConfigError
from archsim.workload.builder import GraphBuilder
from archsim.workload.graph import Workload
from archsim.workload.models import (
    ENCODER_MODELS,
    LLM_MODELS,
    TRANSFORMERS,
    TransformerSpec,
    unknown_model,
)
from archsim.workload.ops import (
    AttentionOp,
    Conv2dOp,
    EltwiseOp,
    EmbeddingOp,
    GemmOp,
    GemvOp,
    NormOp,
)
from archsim.workload.tensor import DTYPES

Phase = Literal["prefill", "decode"]


class _Stack:
    """Builds one model's tensors and ops into a GraphBuilder."""

    def __init__(
        self,
        b: GraphBuilder,
        spec: TransformerSpec,
        weight_dtype: str,
        kv_dtype: str,
        compact: bool,
    ) -> None:
        self.b, self.spec = b, spec
        self.wdt, self.kvdt = weight_dtype, kv_dtype
        # Per-sequence context shortfall from the longest (requests at different contexts).
        self.shortfall: tuple[int, ...] | None = None
        self.compact = compact

    # -- helpers -------------------------------------------------------------------------------

    def weight(self, name: str, shape: tuple[int, ...], copies: int = 1) -> str:
        if name not in self.b.tensors:
            self.b.tensor(name, shape, role="weight", dtype=self.wdt, copies=copies)
        return name

    def linear(
        self,
        prefix: str,
        wprefix: str,
        x: str,
        rows: int,
        k: int,
        n: int,
        out: str,
        repeat: int,
        copies: int,
        bias: bool | None = None,
    ) -> str:
        """``out = x · Wᵀ (+ b)`` with W stored (n, k)."""
        bias = self.spec.bias if bias is None else bias
        w = self.weight(f"{wprefix}.w", (n, k), copies)
        self.b.tensor(out, (rows, n))
        if rows == 1:
            inputs = [w, x] + ([self.weight(f"{wprefix}.b", (n,), copies)] if bias else [])
            self.b.op(GemvOp, f"{prefix}", inputs, [out], m=n, k=k, repeat=repeat)
        else:
            inputs = [x, w] + ([self.weight(f"{wprefix}.b", (n,), copies)] if bias else [])
            self.b.op(
                GemmOp,
                f"{prefix}",
                inputs,
                [out],
                m=rows,
                n=n,
                k=k,
                transpose_b=True,
                repeat=repeat,
            )
        return out

    def norm(self, prefix: str, wprefix: str, x: str, rows: int, repeat: int, copies: int) -> str:
        h = self.spec.hidden
        inputs = [x, self.weight(f"{wprefix}.gamma", (h,), copies)]
        if self.spec.norm == "layer":
            inputs.append(self.weight(f"{wprefix}.beta", (h,), copies))
        out = self.b.tensor(f"{prefix}.out", (rows, h))
        self.b.op(
            NormOp,
            prefix,
            inputs,
            [out],
            norm=self.spec.norm,
            elements=rows * h,
            channels=h,
            repeat=repeat,
        )
        return out

    def eltwise(
        self, name: str, op: str, inputs: list[str], shape: tuple[int, ...], repeat: int = 1
    ) -> str:
        out = self.b.tensor(f"{name}.out", shape)
        elements = 1
        for d in shape:
            elements *= d
        self.b.op(EltwiseOp, name, inputs, [out], op=op, elements=elements, repeat=repeat)
        return out

    # -- blocks --------------------------------------------------------------------------------

    def layer(
        self,
        p: str,
        w: str,
        h_in: str,
        batch: int,
        tq: int,
        cache: tuple[str, str] | None,
        cache_len: int,
        repeat: int,
        copies: int,
    ) -> str:
        """One transformer layer; ``p`` prefixes activations and ops, ``w`` weights."""
        s = self.spec
        rows, hd, kvh = batch * tq, s.d_head, s.n_kv_heads
        x = (
            self.norm(f"{p}attn_norm", f"{w}attn_norm", h_in, rows, repeat, copies)
            if s.pre_norm
            else h_in
        )
        q = self.linear(
            f"{p}q_proj", f"{w}q_proj", x, rows, s.hidden, s.heads * hd, f"{p}q", repeat, copies
        )
        k = self.linear(
            f"{p}k_proj", f"{w}k_proj", x, rows, s.hidden, kvh * hd, f"{p}k", repeat, copies
        )
        v = self.linear(
            f"{p}v_proj", f"{w}v_proj", x, rows, s.hidden, kvh * hd, f"{p}v", repeat, copies
        )
        att = self.b.tensor(f"{p}attn", (rows, s.heads * hd))
        inputs = [q, k, v] + (list(cache) if cache else [])
        self.b.op(
            AttentionOp,
            f"{p}attention",
            inputs,
            [att],
            batch=batch,
            heads=s.heads,
            kv_heads=kvh,
            head_dim=hd,
            q_len=tq,
            kv_len=cache_len + tq,
            causal=s.arch == "decoder",
            cache_len=cache_len,
            cache_lens=(
                tuple(cache_len - d for d in self.shortfall)
                if self.shortfall is not None and cache_len
                else None
            ),
            append=cache is not None,
            repeat=repeat,
        )
        o = self.linear(
            f"{p}o_proj", f"{w}o_proj", att, rows, s.heads * hd, s.hidden, f"{p}o", repeat, copies
        )
        h_mid = self.eltwise(f"{p}attn_residual", "add", [h_in, o], (rows, s.hidden), repeat)
        if not s.pre_norm:
            h_mid = self.norm(f"{p}attn_norm", f"{w}attn_norm", h_mid, rows, repeat, copies)
        x2 = (
            self.norm(f"{p}mlp_norm", f"{w}mlp_norm", h_mid, rows, repeat, copies)
            if s.pre_norm
            else h_mid
        )
        if s.mlp == "swiglu":
            g = self.linear(
                f"{p}gate_proj",
                f"{w}gate_proj",
                x2,
                rows,
                s.hidden,
                s.intermediate,
                f"{p}gate",
                repeat,
                copies,
            )
            u = self.linear(
                f"{p}up_proj",
                f"{w}up_proj",
                x2,
                rows,
                s.hidden,
                s.intermediate,
                f"{p}up",
                repeat,
                copies,
            )
            a = self.eltwise(f"{p}swiglu", "swiglu", [g, u], (rows, s.intermediate), repeat)
        else:
            f1 = self.linear(
                f"{p}fc1",
                f"{w}fc1",
                x2,
                rows,
                s.hidden,
                s.intermediate,
                f"{p}fc1.out",
                repeat,
                copies,
            )
            a = self.eltwise(f"{p}act", s.mlp, [f1], (rows, s.intermediate), repeat)
        d = self.linear(
            f"{p}down_proj",
            f"{w}down_proj",
            a,
            rows,
            s.intermediate,
            s.hidden,
            f"{p}down",
            repeat,
            copies,
        )
        h_out = self.eltwise(f"{p}mlp_residual", "add", [h_mid, d], (rows, s.hidden), repeat)
        if not s.pre_norm:
            h_out = self.norm(f"{p}mlp_norm", f"{w}mlp_norm", h_out, rows, repeat, copies)
        return h_out

    def layers(
        self, p: str, h: str, batch: int, tq: int, cache_len: int | None, capacity: int
    ) -> str:
        """The layer stack: compact (one stored layer, repeat = layers) or unrolled."""
        s = self.spec
        stacks = (
            [(f"{p}layers.", "layers.", s.layers)]
            if self.compact
            else [(f"{p}layers.{i}.", f"layers.{i}.", 1) for i in range(s.layers)]
        )
        for ap, wp, repeat in stacks:
            cache = None
            if cache_len is not None:
                shape = (batch, s.n_kv_heads, capacity, s.d_head)
                cache = (f"{wp}k_cache", f"{wp}v_cache")
                for name in cache:
                    if name not in self.b.tensors:
                        self.b.tensor(name, shape, role="kv_cache", dtype=self.kvdt, copies=repeat)
            h = self.layer(ap, wp, h, batch, tq, cache, cache_len or 0, repeat, repeat)
        return h

    def embed(self, p: str, batch: int, tq: int, start: int) -> str:
        """Token (+ position, + segment) embeddings of ``tq`` tokens per sequence."""
        s = self.spec
        rows = batch * tq
        table = self.weight("embed.w", (s.vocab, s.hidden))
        h = self.b.tensor(f"{p}embed.out", (rows, s.hidden))
        self.b.op(EmbeddingOp, f"{p}embed", [table], [h], vocab=s.vocab, dim=s.hidden, rows=rows)
        extra = []
        if s.positions == "learned":
            if start + tq > s.max_positions:
                raise ConfigError(
                    f"{s.name}: positions up to {start + tq} exceed its {s.max_positions} learned"
                    " positions; lower context or tokens"
                )
            extra.append(("pos", s.max_positions))
        if s.token_types:
            extra.append(("token_type", s.token_types))
        for label, vocab in extra:
            t = self.weight(f"{label}.w", (vocab, s.hidden))
            e = self.b.tensor(f"{p}{label}.out", (rows, s.hidden))
            self.b.op(EmbeddingOp, f"{p}{label}", [t], [e], vocab=vocab, dim=s.hidden, rows=rows)
            h = self.eltwise(f"{p}{label}_add", "add", [h, e], (rows, s.hidden))
        if s.embedding_norm:
            h = self.norm(f"{p}embed_norm", "embed_norm", h, rows, 1, 1)
        return h

    def lm_head(self, p: str, h: str, batch: int, tq: int) -> str:
        s = self.spec
        if tq > 1:  # logits of the last token of each sequence only
            h = self.eltwise(f"{p}last_token", "slice", [h], (batch, s.hidden))
        if s.final_norm:
            h = self.norm(f"{p}final_norm", "final_norm", h, batch, 1, 1)
        wname = "embed" if s.tied_embeddings else "lm_head"
        logits = f"{p}logits"
        self.linear(f"{p}lm_head", wname, h, batch, s.hidden, s.vocab, logits, 1, 1, bias=False)
        self.b.tensors[logits] = self.b.tensors[logits].model_copy(update={"role": "output"})
        return logits


def _dtypes(dtype: str, weight_dtype: str | None, kv_dtype: str | None) -> tuple[str, str, str]:
    for field, value in (("dtype", dtype), ("weight_dtype", weight_dtype), ("kv_dtype", kv_dtype)):
        if value is not None and value not in DTYPES:
            raise ConfigError(f"{field}: {value!r} is not one of {', '.join(DTYPES)}")
    return dtype, weight_dtype or dtype, kv_dtype or dtype


def _positive(**values: int | None) -> None:
    for field, value in values.items():
        if value is not None and value < 1:
            raise ConfigError(f"{field}: must be at least 1, got {value}")


def llm_workload(
    model: str | TransformerSpec,
    phase: Phase = "decode",
    batch: int = 1,
    context: int = 2048,
    tokens: int | None = None,
    dtype: str = "fp16",
    weight_dtype: str | None = None,
    kv_dtype: str | None = None,
    compact: bool = True,
    name: str | None = None,
    contexts: Sequence[int] | None = None,
) -> Workload:
    """A decoder-only LLM's prefill or decode operator graph (see the module docstring).

    ``contexts`` (decode only) gives each sequence of the batch its own cached tokens; the
    KV cache is sized for the longest, which ``context`` then is."""
    if isinstance(model, str) and model not in LLM_MODELS:
        raise unknown_model(model, LLM_MODELS)
    spec = TRANSFORMERS[model] if isinstance(model, str) else model
    if spec.arch != "decoder":
        raise ConfigError(f"{spec.name} is an encoder; use the encoder generator")
    if phase not in ("prefill", "decode"):
        raise ConfigError(f"phase: must be prefill or decode, not {phase!r}")
    if contexts is not None:
        contexts = tuple(int(c) for c in contexts)
        if phase != "decode":
            raise ConfigError("contexts: per-sequence contexts are for decode")
        if len(contexts) != batch or min(contexts) < 1:
            raise ConfigError(
                f"contexts: give {batch} positive lengths, one per sequence of the batch"
                f" (got {len(contexts)}, smallest {min(contexts, default=0)})"
            )
        context = max(contexts)
    _positive(batch=batch, context=context, tokens=tokens)
    act, wdt, kvdt = _dtypes(dtype, weight_dtype, kv_dtype)
    label = name or f"{spec.name}-{phase}-b{batch}-c{context}" + (f"-t{tokens}" if tokens else "")
    b = GraphBuilder(label, act)
    st = _Stack(b, spec, wdt, kvdt, compact)
    if contexts is not None and len(set(contexts)) > 1:
        st.shortfall = tuple(context - c for c in contexts)
    if phase == "prefill":
        tq = context if tokens is None else tokens
        if tq > context:
            raise ConfigError(f"tokens: {tq} prompt tokens exceed the context ({context})")
        cached = context - tq
        h = st.embed("", batch, tq, cached)
        h = st.layers("", h, batch, tq, cached, context)
        st.lm_head("", h, batch, tq)
    else:
        steps = tokens or 1
        for t in range(steps):
            p = f"step{t}." if steps > 1 else ""
            h = st.embed(p, batch, 1, context + t)
            h = st.layers(p, h, batch, 1, context + t, context + steps)
            st.lm_head(p, h, batch, 1)
    b.notes.append(
        f"{spec.name} {phase}: batch {batch}, context {context}, tokens {tokens or ''},"
        f" dtype {act}, weights {wdt}, KV cache {kvdt}"
    )
    return b.build()


def encoder_workload(
    model: str | TransformerSpec,
    batch: int = 1,
    seq: int = 128,
    image: int | None = None,
    dtype: str = "fp16",
    weight_dtype: str | None = None,
    compact: bool = True,
    name: str | None = None,
) -> Workload:
    """BERT-style encoder over ``seq`` tokens, or a ViT over an ``image`` x ``image`` input."""
    if isinstance(model, str) and model not in ENCODER_MODELS:
        raise unknown_model(model, ENCODER_MODELS)
    spec = TRANSFORMERS[model] if isinstance(model, str) else model
    if spec.arch == "decoder":
        raise ConfigError(f"{spec.name} is a decoder LLM; use the llm generator")
    _positive(batch=batch, seq=seq, image=image)
    act, wdt, _ = _dtypes(dtype, weight_dtype, None)
    if spec.arch == "vit":
        size = image or spec.image
        if size % spec.patch:
            raise ConfigError(f"image: {size} is not a multiple of the patch size {spec.patch}")
        if image and image != spec.image:
            spec = spec.model_copy(update={"image": image})
        label = name or f"{spec.name}-b{batch}-i{size}"
    else:
        label = name or f"{spec.name}-b{batch}-s{seq}"
    b = GraphBuilder(label, act)
    st = _Stack(b, spec, wdt, act, compact)
    s = spec
    if s.arch == "vit":
        grid = s.image // s.patch
        tq = grid * grid + 1
        img = b.tensor("image", (batch, s.channels, s.image, s.image), role="input")
        pw = st.weight("patch_embed.w", (s.hidden, s.channels, s.patch, s.patch))
        pb = st.weight("patch_embed.b", (s.hidden,))
        pe = b.tensor("patch_embed.out", (batch, s.hidden, grid, grid))
        b.op(
            Conv2dOp,
            "patch_embed",
            [img, pw, pb],
            [pe],
            batch=batch,
            in_channels=s.channels,
            out_channels=s.hidden,
            height=s.image,
            width=s.image,
            kernel=s.patch,
            stride=s.patch,
        )
        patches = st.eltwise("patch_flatten", "transpose", [pe], (batch, grid * grid, s.hidden))
        cls_w = st.weight("class_token", (1, s.hidden))
        cls = b.tensor("class_token.out", (batch, 1, s.hidden))
        b.op(EmbeddingOp, "class_token", [cls_w], [cls], vocab=1, dim=s.hidden, rows=batch)
        tokens = st.eltwise("tokens", "concat", [cls, patches], (batch, tq, s.hidden))
        pos = st.weight("pos.w", (1, tq, s.hidden))
        h = st.eltwise("pos_add", "add", [tokens, pos], (batch * tq, s.hidden))
        h = st.layers("", h, batch, tq, None, 0)
        h = st.norm("final_norm", "final_norm", h, batch * tq, 1, 1)
        h = st.eltwise("cls_select", "slice", [h], (batch, s.hidden))
        logits = "logits"
        st.linear("head", "head", h, batch, s.hidden, s.classes, logits, 1, 1)
    else:
        tq = seq
        h = st.embed("", batch, tq, 0)
        h = st.layers("", h, batch, tq, None, 0)
        out = h
        if s.pooler:
            first = st.eltwise("cls_select", "slice", [h], (batch, s.hidden))
            pooled = st.linear(
                "pooler", "pooler", first, batch, s.hidden, s.hidden, "pooler.dense", 1, 1
            )
            out = st.eltwise("pooler_act", "tanh", [pooled], (batch, s.hidden))
        logits = out
    b.tensors[logits] = b.tensors[logits].model_copy(update={"role": "output"})
    b.notes.append(f"{spec.name}: batch {batch}, tokens {tq}, dtype {act}, weights {wdt}")
    return b.build()
