"""Multi-device systems: tensor-parallel shards, collectives, per-device capacity, bad input."""

from __future__ import annotations

import pytest

from archsim.config.presets import load_system
from archsim.errors import ConfigError
from archsim.simulate import simulate
from archsim.system.parallel import ring_bytes, shard
from archsim.workload.transformer import llm_workload


@pytest.mark.parametrize(("model", "tp"), [("llama2-7b", 4), ("llama2-70b", 8), ("gpt2", 4)])
def test_a_shard_holds_one_tp_th_of_the_work(model, tp):
    wl = llm_workload(model, "decode", batch=2, context=256)
    part, collectives = shard(wl, tp)
    whole = {op.name: op for op in wl.ops}
    for op in part.ops:
        full = whole[op.name]
        if op.kind in ("gemv", "gemm") and op.name != "lm_head":
            assert op.macs() * tp == full.macs(), op.name  # biases stay whole
        elif op.kind == "attention":
            assert op.heads * tp == full.heads
        elif op.kind in ("norm", "embedding"):
            assert op.flops() == full.flops()  # replicated
    layers = next(op.repeat for op in wl.ops if op.kind == "attention")
    reduces = [c for c in collectives if c.kind == "all-reduce"]
    # Megatron: one all-reduce after attention's output projection and one after the MLP.
    assert len(reduces) == 2 and all(c.repeat == layers for c in reduces)
    assert any(c.kind == "all-gather" for c in collectives)  # the logits


def test_gqa_kv_heads_are_replicated_when_fewer_than_devices():
    wl = llm_workload("llama2-70b", "decode", batch=1, context=128)  # 8 KV heads
    part, _ = shard(wl, 16)
    att = next(op for op in part.ops if op.kind == "attention")
    assert att.heads == 4 and att.kv_heads == 1


def test_ring_all_reduce_sends_two_t_minus_one_over_t():
    assert ring_bytes("all-reduce", 800.0, 8) == pytest.approx(1400.0)
    assert ring_bytes("all-gather", 800.0, 8) == pytest.approx(700.0)


def test_a_split_that_does_not_divide_the_model_is_a_clear_error():
    cfg = load_system("dgx-a100-hbm3", {"parallel": {"tensor": 3}})
    with pytest.raises(ConfigError, match=r"parallel\.tensor"):
        simulate(cfg, llm_workload("llama2-7b", "decode", batch=1, context=128))


def test_zero_devices_and_a_missing_fabric_are_refused():
    with pytest.raises(ConfigError, match=r"parallel\.tensor"):
        load_system("dgx-a100-hbm3", {"parallel": {"tensor": 0}})
    with pytest.raises(ConfigError, match="interconnect"):
        load_system("hbm2-pim", {"parallel": {"tensor": 2}})


def test_70b_fits_the_eight_gpu_presets_and_a_model_too_big_is_refused():
    for name in ("dgx-a100-hbm3", "dgx-attacc"):
        result = simulate(name, "llama2-70b-decode")
        assert result.report.baseline.devices == 8
    one_gpu = load_system("dgx-a100-hbm3", {"parallel": {"tensor": 1}})
    with pytest.raises(ConfigError, match=r"per device|more than"):
        simulate(one_gpu, "llama2-70b-decode")


def test_tensor_parallel_time_and_collectives_on_the_timeline():
    wl = llm_workload("llama2-7b", "decode", batch=4, context=512)
    one = simulate(load_system("dgx-a100-hbm3", {"parallel": {"tensor": 1}}), wl).report
    eight = simulate("dgx-a100-hbm3", wl).report
    b1, b8 = one.baseline, eight.baseline
    assert b8.time_ns < b1.time_ns  # eight GPUs stream 1/8 of the weights each
    assert b8.bytes_moved["interconnect"] > 0 and b8.busy["interconnect"] > 0
    # The same weights cross the host links in total; the shards add no traffic.
    assert b8.bytes_moved["host_link"] == pytest.approx(b1.bytes_moved["host_link"], rel=0.02)


def test_attention_devices_hold_the_kv_cache_and_run_attention():
    wl = llm_workload("gpt3-175b", "decode", batch=16, context=1024)
    result = simulate("dgx-attacc", wl)
    side = result.in_memory
    assert side.placement.unit["layers.attention"] == "memory"
    assert all(
        unit == "host" for name, unit in side.placement.unit.items() if name != "layers.attention"
    )
    assert side.report.bytes_moved["pim_link"] > 0
    assert side.report.busy["pim_channels"] > 0
    assert result.report.baseline.bytes_moved.get("pim_link", 0.0) == 0.0


def test_attention_kept_on_the_gpu_reads_the_kv_cache_over_the_device_link():
    """The KV cache lives on the attention device: a GPU that runs attention itself streams it
    over pim_link from the device's channels, and appends the new token's keys and values."""
    from archsim.config.presets import parse_assignments

    wl = llm_workload("gpt3-175b", "decode", batch=4, context=1024)
    system = load_system("dgx-attacc", parse_assignments(["mapping.overrides.*attention=host"]))
    side = simulate(system, wl).in_memory
    assert side.placement.unit["layers.attention"] == "host"
    shard_wl = side.workload
    op = next(o for o in shard_wl.ops if o.kind == "attention")
    kv = {n for n, t in shard_wl.tensors.items() if t.role == "kv_cache"}
    read = sum(v for n, v in op.bytes_read(shard_wl).items() if n in kv)
    written = sum(v for n, v in op.bytes_written(shard_wl).items() if n in kv)
    devices = side.report.devices
    assert side.report.bytes_moved["pim_link"] == pytest.approx(
        (read + written) * op.repeat * devices
    )
    assert side.report.busy["pim_channels"] > 0 and side.report.busy["pim_link"] > 0
    # Priced by the attention device's memory model: its counts carry the device tag.
    assert any(k.startswith("pim_device/") for k in side.report.counts)


def test_attention_on_the_device_appends_the_new_keys_and_values_over_its_link():
    wl = llm_workload("gpt3-175b", "decode", batch=4, context=1024)
    side = simulate("dgx-attacc", wl).in_memory
    assert side.placement.unit["layers.attention"] == "memory"
    op = next(o for o in side.workload.ops if o.kind == "attention")
    appended = sum(
        v for n, v in op.bytes_written(side.workload).items()
        if side.workload.tensors[n].role == "kv_cache"
    )  # fmt: skip
    assert appended > 0
    # The query broadcast and read-back cross the link too, so the append is a lower bound.
    assert side.report.bytes_moved["pim_link"] >= appended * op.repeat * side.report.devices


def test_pipeline_stages_hand_the_hidden_state_on():
    """Two pipeline stages of four-way tensor parallel: one hand-off of the residual stream
    (batch x hidden x 2 B), on the fabric, after the layers."""
    from archsim.config.presets import parse_assignments

    batch = 8
    wl = llm_workload("llama2-70b", "decode", batch=batch, context=1024)
    tp4 = simulate(
        load_system("dgx-a100-hbm3", parse_assignments(["parallel.tensor=4"])), wl
    ).baseline
    system = load_system(
        "dgx-a100-hbm3", parse_assignments(["parallel.tensor=4", "parallel.pipeline=2"])
    )
    piped = simulate(system, wl).baseline
    spans = {s.name: s for s in piped.timeline.ops}
    handoff = spans["pipeline-handoffs"]
    assert handoff.start_ns >= max(s.end_ns for n, s in spans.items() if n != handoff.name)
    # Each of the stage's four tensor-parallel devices sends its copy of the residual stream.
    hidden_bytes = batch * 8192 * 2  # Llama2-70B hidden size 8192, fp16
    extra = piped.report.bytes_moved["interconnect"] - tp4.report.bytes_moved["interconnect"]
    assert extra == pytest.approx(hidden_bytes * 4)
    assert piped.report.devices == 8
    # The stages run one after the other: the same work as four devices plus the hand-off.
    assert piped.report.time_ns == pytest.approx(
        tp4.report.time_ns + handoff.end_ns - handoff.start_ns, rel=1e-6
    )


def test_micro_batches_fill_the_pipeline():
    """Two micro-batches of 4 on two stages take one micro-batch's pass per step (the stages
    work on both at once in steady state) and do twice its work; more micro-batches than
    stages take proportionally longer."""
    from archsim.config.presets import parse_assignments

    def run(batch, micro):
        sets = ["parallel.tensor=4", "parallel.pipeline=2", f"parallel.micro_batches={micro}"]
        system = load_system("dgx-a100-hbm3", parse_assignments(sets))
        return simulate(system, llm_workload("llama2-70b", "decode", batch=batch, context=512))

    one = run(4, 1).report.baseline
    two = run(8, 2).report.baseline
    four = run(16, 4).report.baseline
    assert two.time_ns == pytest.approx(one.time_ns, rel=1e-9)
    assert four.time_ns == pytest.approx(2 * one.time_ns, rel=1e-9)
    macs = [k for k in one.counts if k.startswith("mac.host")]
    assert macs and all(two.counts[k] == pytest.approx(2 * one.counts[k]) for k in macs)
    assert two.bytes_moved["interconnect"] == pytest.approx(2 * one.bytes_moved["interconnect"])
    assert all(0.0 <= f <= 1.0 for f in two.busy.values())


def test_micro_batches_need_stages_and_must_divide_the_batch():
    from archsim.config.presets import parse_assignments

    with pytest.raises(ConfigError, match=r"parallel\.micro_batches|micro_batches"):
        load_system("dgx-a100-hbm3", parse_assignments(["parallel.micro_batches=2"]))
    system = load_system(
        "dgx-a100-hbm3",
        parse_assignments(["parallel.tensor=4", "parallel.pipeline=2", "parallel.micro_batches=3"]),
    )
    with pytest.raises(ConfigError, match=r"parallel\.micro_batches"):
        simulate(system, llm_workload("llama2-70b", "decode", batch=4, context=512))


def test_cent_runs_llama2_70b_without_set():
    """The CENT-like preset holds Llama2-70B (one block per stage) and runs every GEMV in the
    AiM banks with 80 queries in flight."""
    wl = llm_workload("llama2-70b", "decode", batch=80, context=2304)
    side = simulate("cent-cxl-pim", wl).in_memory
    for name in ("layers.q_proj", "layers.down_proj", "layers.attention", "lm_head"):
        assert side.placement.unit[name] == "memory", name
    assert side.report.devices == 80


def test_attention_devices_carry_their_packaging_cost_and_carbon():
    """dgx-attacc's capex and embodied carbon include each attention device's package and
    stacks, on top of their DRAM."""
    from archsim.energy.carbon import embodied_g
    from archsim.energy.tco import capex_usd

    attacc, dgx = load_system("dgx-attacc"), load_system("dgx-a100-hbm3")
    tco = attacc.tco
    assert tco is not None
    devices = attacc.parallel.devices
    extra_packaging = devices * (
        tco.packaging.interposer_2p5d_usd
        + attacc.pim_memory.organization.stacks * tco.packaging.stack_3d_usd
    )
    assert capex_usd(attacc, tco)["packaging"] == pytest.approx(
        capex_usd(dgx, tco)["packaging"] + extra_packaging
    )
    ics = devices * attacc.pim_memory.organization.stacks
    assert embodied_g(attacc, tco)["packaging"] == pytest.approx(
        embodied_g(dgx, tco)["packaging"] + ics * tco.packaging_carbon_g_per_ic
    )
