"""IDD energy model: hand-checked per-command energies and conservation of the breakdown."""

from __future__ import annotations

import pytest

from archsim.config.presets import load_system
from archsim.energy.dram_idd import action_energy
from archsim.system.replay import replay


def test_ddr4_per_command_energy_matches_tn41_by_hand():
    mem = load_system("ddr4-3200").memory
    e = action_energy(mem.power, mem.cycles, mem.organization)
    tck = 0.625  # ns
    # IDD0*tRC - (IDD3N*tRAS + IDD2N*tRP), eight x8 devices, 1.2 V (mA x V x ns = pJ)
    assert e.act_pre_pj == pytest.approx(8 * 1.2 * (57 * 74 - 52 * 52 - 37 * 22) * tck)
    assert e.read_pj == pytest.approx(8 * 1.2 * (168 - 52) * 4 * tck)
    assert e.refresh_all_bank_pj == pytest.approx(8 * 1.2 * (250 - 52) * 560 * tck)
    assert e.io_read_pj == pytest.approx(3.5 * 512)


def test_hbm2_read_energy_per_bit_matches_reference():
    """HBM2 channel read ~1.57 pJ/bit, derived from DRAMsim3 configs/HBM2_8Gb_x128.ini currents."""
    mem = load_system("hbm2").memory
    e = action_energy(mem.power, mem.cycles, mem.organization)
    bits = mem.organization.line_bytes * 8
    assert e.read_pj / bits == pytest.approx(1.57, rel=0.01)


@pytest.mark.parametrize("trace", ["stream", "random", "mixed"])
def test_energy_components_add_up(trace):
    from archsim.workload.samples import resolve_trace

    result = replay("hbm2", resolve_trace(trace))
    energy = result.report.energy_pj
    parts = sum(v for k, v in energy.items() if k != "total")
    assert energy["total"] == pytest.approx(parts)
    # ... and the report is the sum of the per-channel statistics.
    per_channel = sum(s.value for s in result.stats if s.name.endswith(".energy.total"))
    assert energy["total"] == pytest.approx(per_channel)
    assert min(energy.values()) >= 0


def test_background_time_covers_the_whole_run():
    from archsim.workload.samples import resolve_trace

    result = replay("ddr4-3200", resolve_trace("random"))
    stats = result.stats
    end = stats["system.memory.end_cycle"]
    active = stats["system.memory.ch0.rank0.active_cycles"]
    idle = stats["system.memory.ch0.rank0.precharged_cycles"]
    assert active + idle == end
