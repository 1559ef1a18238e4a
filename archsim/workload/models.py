"""Model presets: published hyper-parameters, and the published figures we check against.

Every number here comes from the source cited beside it. Transformer hyper-parameters follow
each model's released configuration (the Hugging Face ``config.json`` of the checkpoint, which
is what the published parameter counts are counted on). CNN layer tables are in
:mod:`archsim.workload.cnn`, their published counts here.
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import Field, model_validator

from archsim.config.base import FieldError, Model
from archsim.errors import ConfigError


class TransformerSpec(Model):
    """A transformer's architecture, enough to rebuild every weight and operator."""

    name: str
    arch: Literal["decoder", "encoder", "vit"]
    layers: int = Field(ge=1)
    hidden: int = Field(ge=1)
    heads: int = Field(ge=1)
    kv_heads: int | None = Field(None, ge=1, description="grouped-query K/V heads; default heads")
    head_dim: int | None = Field(None, ge=1, description="default hidden / heads")
    intermediate: int = Field(ge=1, description="MLP hidden size")
    vocab: int = Field(0, ge=0, description="token vocabulary (0 for vision models)")
    mlp: Literal["gelu", "relu", "swiglu"]
    norm: Literal["layer", "rms"]
    pre_norm: bool = True
    final_norm: bool = True
    embedding_norm: bool = False
    positions: Literal["learned", "rotary"]
    max_positions: int = Field(0, ge=0, description="rows of a learned position table")
    token_types: int = Field(0, ge=0, description="segment embedding rows (BERT)")
    bias: bool = Field(description="linear layers carry biases")
    tied_embeddings: bool = False
    pooler: bool = False
    # Vision transformer input.
    image: int = 0
    patch: int = 0
    channels: int = 3
    classes: int = 0

    @model_validator(mode="after")
    def _heads(self) -> TransformerSpec:
        if self.head_dim is None and self.hidden % self.heads:
            raise FieldError(
                "heads", f"{self.heads} heads do not divide the hidden size {self.hidden}"
            )
        if self.heads % self.n_kv_heads:
            raise FieldError("kv_heads", f"{self.n_kv_heads} does not divide heads ({self.heads})")
        if self.arch == "vit" and (self.patch < 1 or self.image % self.patch):
            raise FieldError("patch", f"{self.patch} must divide the image size {self.image}")
        return self

    @property
    def n_kv_heads(self) -> int:
        return self.kv_heads or self.heads

    @property
    def d_head(self) -> int:
        return self.head_dim or self.hidden // self.heads


class Published(Model):
    """A published figure and where it comes from."""

    params: float
    params_source: str
    macs: float | None = None
    macs_source: str | None = None
    macs_setting: dict[str, int] = Field(default_factory=dict, description="input size used")


TRANSFORMERS: dict[str, TransformerSpec] = {
    # GPT-2 small. Radford et al., "Language Models are Unsupervised Multitask Learners" (2019),
    # Table 2 (12 layers, d_model 768); HF openai-community/gpt2 config.json: n_layer 12,
    # n_embd 768, n_head 12, vocab_size 50257, n_positions 1024, tied LM head, 4x MLP.
    "gpt2": TransformerSpec(
        name="gpt2", arch="decoder", layers=12, hidden=768, heads=12, intermediate=3072,
        vocab=50257, mlp="gelu", norm="layer", positions="learned", max_positions=1024,
        bias=True, tied_embeddings=True,
    ),
    # GPT-3 6.7B. Brown et al. (NeurIPS 2020), Table 2.1: 32 layers, d_model 4096, 32 heads of
    # 128, context 2048; the same design as GPT-3 175B. NeuPIMs (ASPLOS 2024) calls it "7B".
    "gpt3-6.7b": TransformerSpec(
        name="gpt3-6.7b", arch="decoder", layers=32, hidden=4096, heads=32, intermediate=16384,
        vocab=50257, mlp="gelu", norm="layer", positions="learned", max_positions=2048,
        bias=True, tied_embeddings=True,
    ),
    # GPT-3 175B. Brown et al., "Language Models are Few-Shot Learners" (NeurIPS 2020),
    # Table 2.1: 96 layers, d_model 12288, 96 heads of 128, context 2048; the GPT-2 design
    # (section 2.1: pre-norm LayerNorm, 4x GELU MLP, learned positions, tied embeddings, BPE
    # vocabulary of 50257).
    "gpt3-175b": TransformerSpec(
        name="gpt3-175b", arch="decoder", layers=96, hidden=12288, heads=96, intermediate=49152,
        vocab=50257, mlp="gelu", norm="layer", positions="learned", max_positions=2048,
        bias=True, tied_embeddings=True,
    ),
    # Llama 2 7B. Touvron et al., "Llama 2" (2023), Table 1 and section 2.2; HF
    # meta-llama/Llama-2-7b-hf config.json: hidden 4096, 32 layers, 32 heads, 32 KV heads,
    # intermediate 11008, vocab 32000, RMSNorm, SwiGLU, untied LM head.
    "llama2-7b": TransformerSpec(
        name="llama2-7b", arch="decoder", layers=32, hidden=4096, heads=32, kv_heads=32,
        intermediate=11008, vocab=32000, mlp="swiglu", norm="rms", positions="rotary", bias=False,
    ),
    # Llama 2 13B. HF meta-llama/Llama-2-13b-hf config.json: hidden 5120, 40 layers, 40 heads,
    # 40 KV heads, intermediate 13824, vocab 32000.
    "llama2-13b": TransformerSpec(
        name="llama2-13b", arch="decoder", layers=40, hidden=5120, heads=40, kv_heads=40,
        intermediate=13824, vocab=32000, mlp="swiglu", norm="rms", positions="rotary", bias=False,
    ),
    # Llama 2 70B. Touvron et al. (2023), section 2.2 (grouped-query attention for 70B); HF
    # meta-llama/Llama-2-70b-hf config.json: hidden 8192, 80 layers, 64 heads, 8 KV heads,
    # intermediate 28672, vocab 32000.
    "llama2-70b": TransformerSpec(
        name="llama2-70b", arch="decoder", layers=80, hidden=8192, heads=64, kv_heads=8,
        intermediate=28672, vocab=32000, mlp="swiglu", norm="rms", positions="rotary", bias=False,
    ),
    # Llama 3 8B. Meta, "The Llama 3 Herd of Models" (2024), Table 3 (32 layers, d_model 4096,
    # FFN 14336, 32 heads, 8 KV heads, vocab 128000+); HF meta-llama/Meta-Llama-3-8B
    # config.json: vocab_size 128256, untied LM head.
    "llama3-8b": TransformerSpec(
        name="llama3-8b", arch="decoder", layers=32, hidden=4096, heads=32, kv_heads=8,
        intermediate=14336, vocab=128256, mlp="swiglu", norm="rms", positions="rotary",
        bias=False,
    ),
    # Mistral 7B. Jiang et al., "Mistral 7B" (2023), Table 1: dim 4096, n_layers 32, head_dim
    # 128, hidden_dim 14336, n_heads 32, n_kv_heads 8, vocab_size 32000. Its 4096-token sliding
    # window (v0.1) is not modelled: attention is full causal, as in v0.2 and later.
    "mistral-7b": TransformerSpec(
        name="mistral-7b", arch="decoder", layers=32, hidden=4096, heads=32, kv_heads=8,
        head_dim=128, intermediate=14336, vocab=32000, mlp="swiglu", norm="rms",
        positions="rotary", bias=False,
    ),
    # OPT-6.7B. Zhang et al., "OPT" (2022), Table 1 (32 layers, 32 heads, d_model 4096); HF
    # facebook/opt-6.7b config.json: ffn_dim 16384, vocab_size 50272, ReLU, pre-LayerNorm,
    # biases, tied LM head, learned positions with max_position_embeddings 2048 plus the
    # offset of 2 that OPTLearnedPositionalEmbedding adds (2050 rows).
    "opt-6.7b": TransformerSpec(
        name="opt-6.7b", arch="decoder", layers=32, hidden=4096, heads=32, intermediate=16384,
        vocab=50272, mlp="relu", norm="layer", positions="learned", max_positions=2050,
        bias=True, tied_embeddings=True,
    ),
    # BERT-base. Devlin et al., "BERT" (2019), section 3 (L=12, H=768, A=12); HF
    # bert-base-uncased config.json: intermediate 3072, vocab 30522, 512 positions,
    # type_vocab_size 2, post-LayerNorm, embedding LayerNorm, pooler.
    "bert-base": TransformerSpec(
        name="bert-base", arch="encoder", layers=12, hidden=768, heads=12, intermediate=3072,
        vocab=30522, mlp="gelu", norm="layer", pre_norm=False, final_norm=False,
        embedding_norm=True, positions="learned", max_positions=512, token_types=2, bias=True,
        pooler=True,
    ),
    # ViT-B/16. Dosovitskiy et al., "An Image is Worth 16x16 Words" (ICLR 2021), Table 1
    # (ViT-Base: 12 layers, hidden 768, MLP 3072, 12 heads); 224x224 input, 16x16 patches,
    # class token, learned positions (197), 1000-class head as in torchvision vit_b_16.
    "vit-b16": TransformerSpec(
        name="vit-b16", arch="vit", layers=12, hidden=768, heads=12, intermediate=3072,
        mlp="gelu", norm="layer", positions="learned", bias=True, image=224, patch=16,
        classes=1000,
    ),
}  # fmt: skip

LLM_MODELS = tuple(k for k, v in TRANSFORMERS.items() if v.arch == "decoder")
ENCODER_MODELS = tuple(k for k, v in TRANSFORMERS.items() if v.arch != "decoder")
CNN_MODELS = ("resnet50", "mobilenetv2")

PUBLISHED: dict[str, Published] = {
    "gpt2": Published(
        params=124e6,
        params_source="HF model card openai-community/gpt2: 124M parameters (2019 release)",
    ),
    "gpt3-6.7b": Published(
        params=6.7e9,
        params_source="Brown et al., NeurIPS 2020, Table 2.1: 6.7B parameters",
    ),
    "gpt3-175b": Published(
        params=175.0e9,
        params_source="Brown et al., NeurIPS 2020, Table 2.1: 175.0B parameters",
    ),
    "llama2-7b": Published(
        params=6.74e9,
        params_source="HF meta-llama/Llama-2-7b-hf safetensors: 6.74B params (2023);"
        " Touvron et al. 2023a (LLaMA) Table 2: 6.7B",
    ),
    "llama2-13b": Published(
        params=13.0e9,
        params_source="Touvron et al. 2023a (LLaMA) Table 2: 13.0B for this architecture;"
        " HF meta-llama/Llama-2-13b-hf: 13B params",
    ),
    "llama2-70b": Published(
        params=69.0e9,
        params_source="HF meta-llama/Llama-2-70b-hf safetensors: 69B params (2023);"
        " marketed as 70B in Touvron et al. 2023 Table 1",
    ),
    "llama3-8b": Published(
        params=8.03e9,
        params_source="HF meta-llama/Meta-Llama-3-8B safetensors: 8.03B params (2024)",
    ),
    "mistral-7b": Published(
        params=7.3e9,
        params_source="Mistral AI, 'Announcing Mistral 7B' (2023-09-27): a 7.3B parameter model;"
        " HF mistralai/Mistral-7B-v0.1 safetensors: 7.24B",
    ),
    "opt-6.7b": Published(params=6.7e9, params_source="Zhang et al. 2022 (OPT) Table 1: 6.7B"),
    "bert-base": Published(
        params=110e6,
        params_source="Devlin et al. 2019 (BERT) section 3: BERT-base 110M total parameters",
        macs=11.25e9,
        macs_source="Sun et al. 2020 (MobileBERT, ACL) Table 3: BERT-base 22.5B FLOPs"
        " (2 per MAC) at sequence length 128",
        macs_setting={"seq": 128},
    ),
    "vit-b16": Published(
        params=86_567_656,
        params_source="torchvision ViT_B_16_Weights.IMAGENET1K_V1 meta num_params (86.6M);"
        " Dosovitskiy et al. 2021 Table 1: 86M",
        macs=17.564e9,
        macs_source="torchvision ViT_B_16_Weights.IMAGENET1K_V1 meta _ops: 17.564 GFLOPS"
        " (counted as multiply-adds) at 224x224",
        macs_setting={"image": 224},
    ),
    "resnet50": Published(
        params=25_557_032,
        params_source="torchvision ResNet50_Weights.IMAGENET1K_V1 meta num_params (v1.5)",
        macs=4.089e9,
        macs_source="torchvision ResNet50_Weights.IMAGENET1K_V1 meta _ops: 4.089 GFLOPS"
        " (multiply-adds) at 224x224; He et al. 2016 Table 1 gives 3.8e9 for v1 (stride in the"
        " first 1x1 conv)",
        macs_setting={"image": 224},
    ),
    "mobilenetv2": Published(
        params=3_504_872,
        params_source="torchvision MobileNet_V2_Weights.IMAGENET1K_V1 meta num_params;"
        " Sandler et al. 2018 Table 4: 3.4M",
        macs=300e6,
        macs_source="Sandler et al. 2018 (MobileNetV2) Table 4: 300M multiply-adds at 224x224;"
        " torchvision meta _ops 0.301 GFLOPS",
        macs_setting={"image": 224},
    ),
}


def transformer(name: str) -> TransformerSpec:
    """A transformer preset by name; an unknown name lists the presets."""
    spec = TRANSFORMERS.get(name)
    if spec is None:
        raise unknown_model(name, tuple(TRANSFORMERS))
    return spec


def unknown_model(name: str, available: tuple[str, ...]) -> ConfigError:
    close = difflib.get_close_matches(name, available, n=2)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return ConfigError(f"unknown model {name!r}{hint}; available: {', '.join(available)}")
