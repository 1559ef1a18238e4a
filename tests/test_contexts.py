"""Requests of one batch at different context lengths (per-sequence KV caches)."""

from __future__ import annotations

import pytest

from archsim.errors import ConfigError
from archsim.simulate import simulate
from archsim.workload.transformer import llm_workload

SHORT, LONG = 256, 2048


def _attention(report, side):
    return sum(o.time_ns for o in getattr(report, side).ops if o.kind == "attention")


def test_a_mixed_batch_costs_its_parts():
    """Four requests at 256 tokens and four at 2048 cost what the two uniform batches cost,
    on the host and in memory; the counts are exact."""
    mixed = llm_workload("llama2-7b", "decode", batch=8, contexts=[SHORT] * 4 + [LONG] * 4)
    short = llm_workload("llama2-7b", "decode", batch=4, context=SHORT)
    long = llm_workload("llama2-7b", "decode", batch=4, context=LONG)
    m, s, lo = (next(o for o in w.ops if o.kind == "attention") for w in (mixed, short, long))
    assert m.contexts() == [(4, SHORT), (4, LONG)]
    assert m.macs() == s.macs() + lo.macs() and m.flops() == s.flops() + lo.flops()
    cache = "layers.k_cache"
    assert m.bytes_read(mixed)[cache] == s.bytes_read(short)[cache] + lo.bytes_read(long)[cache]
    runs = [simulate("hbm2-pim", w) for w in (mixed, short, long)]
    assert runs[0].in_memory.placement.unit["layers.attention"] == "memory"
    for side in ("baseline", "in_memory"):
        parts = _attention(runs[1].report, side) + _attention(runs[2].report, side)
        assert _attention(runs[0].report, side) == pytest.approx(parts, rel=0.01), side
    # Shorter requests make the step cheaper than a batch all at the longest context.
    padded = simulate("hbm2-pim", llm_workload("llama2-7b", "decode", batch=8, context=LONG))
    assert _attention(runs[0].report, "in_memory") < _attention(padded.report, "in_memory")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch": 2, "contexts": [128]}, "give 2 positive lengths"),
        ({"batch": 2, "contexts": [128, 0]}, "give 2 positive lengths"),
        ({"batch": 2, "contexts": [128, 64], "phase": "prefill"}, "for decode"),
    ],
)
def test_bad_contexts_are_clear_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        llm_workload("llama2-7b", **kwargs)
