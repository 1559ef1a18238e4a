"""KV-cache capacity: how many tokens of KV the system holds beside the weights, in blocks.

Paged as in vLLM (Kwon et al., SOSP 2023): the cache is cut into blocks of ``block_tokens``
tokens; a request holds whole blocks. The memory the cache may use is ``memory_fraction`` of
the device memory (vLLM's ``gpu_memory_utilization``, default 0.9, leaves the rest for
activations and the runtime) minus the weights.

Placement: on today's systems the in-memory compute sits in the same DRAM as the weights
(in-bank PIM, near-memory units), so the KV cache is in PIM memory whenever the system has PIM,
and attention in memory reads it in place. A system whose memory holds no weights (separate
attention devices, issue 10) changes :func:`kv_capacity_bytes` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archsim.config.system import SystemConfig
from archsim.errors import ConfigError
from archsim.workload.models import TRANSFORMERS
from archsim.workload.tensor import BITS

# vLLM EngineArgs defaults (docs.vllm.ai, engine arguments): block_size 16,
# gpu_memory_utilization 0.9.
BLOCK_TOKENS = 16
MEMORY_FRACTION = 0.9


@dataclass(frozen=True)
class KvLayout:
    """The cache of one system and model."""

    capacity_bytes: float  # memory the cache may use
    weight_bytes: float
    bytes_per_token: float
    block_tokens: int
    blocks: int
    placement: str  # "pim memory" or "device memory"

    @property
    def tokens(self) -> int:
        return self.blocks * self.block_tokens


def weight_bytes(model: str, dtype: str = "fp16") -> float:
    """Bytes of the model's weights as the operator graph stores them."""
    from archsim.workload.transformer import llm_workload

    wl = llm_workload(model, "decode", batch=1, context=1, dtype=dtype)
    return float(sum(t.stored_bytes * t.copies for t in wl.tensors.values() if t.role == "weight"))


def kv_bytes_per_token(model: str, dtype: str = "fp16") -> float:
    """K and V of every layer for one token."""
    s = TRANSFORMERS[model]
    return 2 * s.layers * s.n_kv_heads * s.d_head * BITS[dtype] / 8


def kv_layout(
    system: SystemConfig,
    model: str,
    dtype: str = "fp16",
    block_tokens: int = BLOCK_TOKENS,
    memory_fraction: float = MEMORY_FRACTION,
) -> KvLayout:
    """The KV cache the system holds for ``model``; an error if the weights leave no room."""
    capacity = system.memory.organization.capacity_bytes
    weights = weight_bytes(model, dtype)
    per_token = kv_bytes_per_token(model, dtype)
    free = capacity * memory_fraction - weights
    block = per_token * block_tokens
    if free < block:
        raise ConfigError(
            f"{model} needs {weights / 1e9:.1f} GB of weights; {system.name}'s memory (field"
            f" memory.organization) holds {capacity / 1e9:.1f} GB, of which"
            f" {memory_fraction:.0%} may be used, leaving no room for a KV cache"
        )
    return KvLayout(
        capacity_bytes=free,
        weight_bytes=weights,
        bytes_per_token=per_token,
        block_tokens=block_tokens,
        blocks=math.floor(free / block),
        placement="pim memory" if system.pim is not None else "device memory",
    )
