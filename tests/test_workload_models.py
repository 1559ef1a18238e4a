"""Model presets against published parameter and MAC counts; LLM phase semantics; presets."""

from __future__ import annotations

import pytest

from archsim.config.presets import list_presets
from archsim.errors import ConfigError
from archsim.workload.cnn import cnn_workload
from archsim.workload.models import (
    CNN_MODELS,
    ENCODER_MODELS,
    LLM_MODELS,
    PUBLISHED,
    TRANSFORMERS,
    TransformerSpec,
)
from archsim.workload.presets import load_workload
from archsim.workload.transformer import encoder_workload, llm_workload

ISSUE_PRESETS = {"gemv-4096x1024-fp16", "llama2-7b-decode", "llama2-7b-prefill", "resnet50",
                 "bert-base", "solve-256"}  # fmt: skip


def _workload(model: str):
    if model in LLM_MODELS:
        return llm_workload(model, "decode", 1, 128)
    if model in ENCODER_MODELS:
        return encoder_workload(model, **PUBLISHED[model].macs_setting)
    return cnn_workload(model, **PUBLISHED[model].macs_setting)


@pytest.mark.parametrize("model", [*LLM_MODELS, *ENCODER_MODELS, *CNN_MODELS])
def test_parameter_count_matches_published_within_1_percent(model):
    params = _workload(model).totals().params
    published = PUBLISHED[model].params
    assert abs(params / published - 1) < 0.01, (model, params, published)


@pytest.mark.parametrize("model", [m for m in PUBLISHED if PUBLISHED[m].macs])
def test_mac_count_matches_published_within_1_percent(model):
    macs = _workload(model).totals().macs
    published = PUBLISHED[model].macs
    assert abs(macs / published - 1) < 0.01, (model, macs, published)


def test_exact_counts_of_released_checkpoints():
    # Sums of the released tensors (HF safetensors index total_size / 2 bytes for Llama 2 7B,
    # torchvision for the CNNs): our graphs hold exactly those weights.
    assert llm_workload("llama2-7b", context=8).totals().params == 6_738_415_616
    assert llm_workload("gpt2", context=8).totals().params == 124_439_808
    assert cnn_workload("resnet50").totals().params == 25_557_032
    assert cnn_workload("mobilenetv2").totals().params == 3_504_872
    assert encoder_workload("vit-b16").totals().params == 86_567_656


@pytest.mark.parametrize("phase", ["prefill", "decode"])
@pytest.mark.parametrize("model", ["gpt2", "llama2-7b", "opt-6.7b"])
def test_compact_repeat_equals_unrolled_layers(model, phase):
    compact = llm_workload(model, phase, batch=2, context=16, tokens=None)
    unrolled = llm_workload(model, phase, batch=2, context=16, compact=False)
    assert compact.totals() == unrolled.totals()
    assert len(compact.ops) < len(unrolled.ops)


def test_decode_reads_the_cache_and_appends_one_token():
    spec = TRANSFORMERS["llama2-70b"]
    w = llm_workload("llama2-70b", "decode", batch=1, context=4096)
    att = next(op for op in w.ops if op.kind == "attention")
    assert (att.q_len, att.cache_len, att.kv_len, att.append) == (1, 4096, 4097, True)
    assert att.repeat == spec.layers == 80
    assert att.kv_heads == 8 and att.heads == 64
    per_token = spec.n_kv_heads * spec.d_head * 2  # fp16 bytes per token per K or V
    assert att.bytes_read(w)["layers.k_cache"] == 4096 * per_token
    assert att.bytes_written(w)["layers.k_cache"] == per_token
    assert w.totals().kv_cache_bytes == 2 * 80 * 4097 * per_token
    # Batch 1 decode: the projections are GEMVs.
    assert {op.kind for op in w.ops} >= {"gemv", "attention", "norm", "embedding", "eltwise"}


def test_decode_tokens_step_through_growing_cache():
    w = llm_workload("gpt2", "decode", batch=1, context=10, tokens=3)
    lens = [op.cache_len for op in w.ops if op.kind == "attention"]
    assert lens == [10, 11, 12]
    assert w.totals().kv_cache_bytes == 2 * 12 * 13 * 768 * 2


def test_prefill_is_causal_and_logits_for_last_token():
    w = llm_workload("llama2-7b", "prefill", batch=2, context=64)
    att = next(op for op in w.ops if op.kind == "attention")
    assert att.causal and att.q_len == att.kv_len == 64 and att.cache_len == 0
    head = next(op for op in w.ops if op.name == "lm_head")
    assert head.m == 2  # one row per sequence


def test_tied_embeddings_counted_once():
    gpt2 = llm_workload("gpt2", context=8)
    assert "lm_head.w" not in gpt2.tensors
    assert "lm_head.w" in llm_workload("llama2-7b", context=8).tensors


def test_heads_not_dividing_hidden_is_an_error():
    with pytest.raises(ValueError, match="heads: 7 heads do not divide the hidden size 768"):
        TransformerSpec(name="bad", arch="decoder", layers=1, hidden=768, heads=7,
                        intermediate=10, vocab=10, mlp="gelu", norm="layer", positions="rotary",
                        bias=False)  # fmt: skip


def test_bad_generator_arguments():
    with pytest.raises(ConfigError, match=r"unknown model 'llama2-8b'.*available: gpt2"):
        llm_workload("llama2-8b")
    with pytest.raises(ConfigError, match="1024 learned positions"):
        llm_workload("gpt2", context=2048)
    with pytest.raises(ConfigError, match="batch: must be at least 1"):
        llm_workload("gpt2", batch=0, context=8)
    with pytest.raises(ConfigError, match="phase"):
        llm_workload("gpt2", "train", context=8)
    with pytest.raises(ConfigError, match="unknown model 'vgg16'"):
        cnn_workload("vgg16")


def test_issue_presets_exist_and_load():
    names = set(list_presets("workloads"))
    assert names >= ISSUE_PRESETS
    for name in sorted(names):
        w = load_workload(name)
        totals = w.totals()
        assert totals.macs > 0 and totals.flops >= 2 * totals.macs
    decode = load_workload("llama2-7b-decode")
    att = next(op for op in decode.ops if op.kind == "attention")
    assert att.cache_len == 2048 and att.batch == 1
    assert decode.tensors["embed.w"].dtype == "fp16"


def test_load_workload_overrides_paths_and_errors(tmp_path):
    w = load_workload("llama2-7b-decode", batch=4, context=256)
    assert next(op for op in w.ops if op.kind == "attention").batch == 4
    spec = tmp_path / "mine.yaml"
    spec.write_text("generator: gemm\nm: 8\nn: 16\nk: 32\n")
    assert load_workload(str(spec)).totals().macs == 8 * 16 * 32
    with pytest.raises(ConfigError, match=r"unknown workload preset 'nope'.*available"):
        load_workload("nope")
    with pytest.raises(ConfigError, match=r"unknown model 'llama9'.*available"):
        load_workload("llama2-7b-decode", model="llama9")
    spec.write_text("generator: gemm\nm: 8\nn: 16\nkk: 32\n")
    with pytest.raises(ConfigError, match="kk: unknown field"):
        load_workload(str(spec))
    spec.write_text("generator: teleport\n")
    with pytest.raises(ConfigError, match="generator: 'teleport' is not one of"):
        load_workload(str(spec))
