"""Physical bounds hold on the simulated timeline itself, over presets, scalings and workloads.

No resource does more work than its busy time allows (the link never moves bytes faster than
its peak), no unit computes faster than its own peak, and energy components add up.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archsim.config.presets import load_system, parse_assignments
from archsim.errors import ArchsimError, ConfigError
from archsim.simulate import simulate
from archsim.workload.generators import gemv_workload
from archsim.workload.transformer import llm_workload

PRESETS = ("hbm2-pim", "hbm3-pim", "gddr6-aim", "ddr4-axdimm", "ddr5-npu", "lpddr5-pim")
WORKLOADS = ("llama2-7b-decode", "gemv-4096x1024-fp16", "bert-base")


def _check_side(system, result_side):
    report, timeline = result_side.report, result_side.timeline
    eps = 1e-9
    for resource, work in timeline.work_ns.items():
        assert work <= timeline.busy_ns[resource] * (1 + eps) + 1e-6, resource
    # Bytes and FLOPs are totals over the system's devices; the timeline is one device's.
    devices = report.devices
    links = {"host_link": ("link", system.host_link), "pim_link": ("pim_link", system.pim_link)}
    for name, (resource, link) in links.items():
        moved = report.bytes_moved.get(name, 0.0)
        if link is None:
            assert not moved, f"{name} moved bytes but the system has no such link"
        elif moved:
            busy_s = timeline.busy_ns[resource] * 1e-9
            assert moved / busy_s <= link.bandwidth_bytes_per_s * devices * (1 + 1e-9), name
    host = system.host
    host_peak = (max(host.peak_flops(d) for d in host.macs_per_pe) + host.vector_peak_flops()) * (
        devices
    )
    for name, use in report.units.items():
        peak = host_peak if name == "host" else use.peak_flops
        assert use.achieved_flops <= peak * (1 + 1e-9), name
        busy = use.busy_fraction * report.time_ns * 1e-9
        if use.flops:
            assert busy > 0 and use.flops / busy <= peak * (1 + 1e-6), name
    parts = sum(v for k, v in report.energy_pj.items() if k != "total")
    assert abs(parts - report.energy_pj["total"]) <= 1e-9 * report.energy_pj["total"]


def _simulate_or_refused(system, workload):
    """The run; a configuration archsim refuses with a clear reason (too big for its memory,
    or a stream too long to simulate that cannot be fast-forwarded) is not an example."""
    try:
        return simulate(system, workload)
    except ConfigError as exc:
        assume("memory (field memory.organization)" not in str(exc) and "keeps" not in str(exc))
        raise
    except ArchsimError as exc:
        assume("cannot be fast-forwarded" not in str(exc))
        raise


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    preset=st.sampled_from(PRESETS),
    workload=st.sampled_from(WORKLOADS),
    link_scale=st.sampled_from((0.25, 1.0, 4.0)),
    stacks=st.sampled_from((None, 16, 64)),
)
def test_no_resource_exceeds_its_peak(preset, workload, link_scale, stacks):
    base = load_system(preset)
    sets = {"host_link.width": max(1, int(base.host_link.width_bits * link_scale))}
    if stacks is not None and base.memory.organization.stacks > 1:
        sets["memory.organization.stacks"] = stacks
    system = load_system(preset, parse_assignments([f"{k}={v}" for k, v in sets.items()]))
    result = _simulate_or_refused(system, workload)
    _check_side(result.baseline_system or system, result.baseline)
    if result.in_memory is not None:
        _check_side(system, result.in_memory)


def test_a_gemv_on_many_stacks_moves_no_more_than_the_link_allows():
    """The case that broke the old model: 64 HBM2 stacks behind a 1 TB/s link."""
    system = load_system("hbm2-pim", parse_assignments(["memory.organization.stacks=64"]))
    result = simulate(system, gemv_workload(4096, 1024))
    _check_side(system, result.in_memory)
    _check_side(result.baseline_system, result.baseline)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    preset=st.sampled_from(("dgx-a100-hbm3", "dgx-attacc", "cent-cxl-pim", "npu-neupims")),
    batch=st.sampled_from((1, 16, 64)),
    sets=st.sampled_from(((), ("pim.vectors_per_pass=8",), ("mapping.sub_batches=2",))),
)
def test_multi_device_systems_stay_under_their_peaks(preset, batch, sets):
    """The multi-device presets (tensor and pipeline parallel, attention devices, collectives,
    micro-batches, dual row buffers) under the same bounds, over batch and design knobs."""
    if preset == "cent-cxl-pim" or (preset != "dgx-attacc" and "mapping.sub_batches=2" not in sets):
        sets = ()  # vectors_per_pass is dgx-attacc's; cent's micro-batches are single requests
    if batch == 1 and "mapping.sub_batches=2" in sets:
        sets = ()
    system = load_system(preset, parse_assignments(list(sets)))
    workload = llm_workload("llama2-70b", "decode", batch=batch, context=2048)
    result = _simulate_or_refused(system, workload)
    _check_side(result.baseline_system or system, result.baseline)
    if result.in_memory is not None:
        _check_side(system, result.in_memory)
