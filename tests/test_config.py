"""Config validation: presets load, units parse, and bad values name their field path."""

from __future__ import annotations

import json

import pytest

from archsim.config.presets import list_presets, load_system
from archsim.config.system import SystemConfig
from archsim.config.units import UnitError, parse_quantity
from archsim.errors import ConfigError
from tests.conftest import ALL_SYSTEMS, RUN_SYSTEMS

EXPECTED = {
    # name: (peak GB/s, bus channels, line bytes)
    "ddr4-3200": (25.6, 1, 64),
    "ddr5-4800": (19.2, 1, 64),
    "lpddr5-6400": (12.8, 1, 32),
    "gddr6-16g": (32.0, 1, 32),
    "hbm2": (256.0, 16, 32),
    "hbm3": (819.2, 32, 32),
    "ddr5-6400": (25.6, 1, 64),  # gem5 DDR5_6400_4x8: 25.6 GB/s
    "hbm3e": (1177.6, 32, 32),  # Micron: 9.2 Gb/s x 1024 pins
}


def test_every_required_preset_exists():
    assert set(EXPECTED) <= set(list_presets("systems"))


@pytest.mark.parametrize("name", EXPECTED)
def test_preset_organization(name):
    cfg = load_system(name)
    org = cfg.memory.organization
    peak, channels, line = EXPECTED[name]
    assert org.peak_bandwidth_bytes_per_s / 1e9 == pytest.approx(peak)
    assert org.bus_channels == channels
    assert org.line_bytes == line


@pytest.mark.parametrize("name", ALL_SYSTEMS)
def test_every_timing_and_current_cites_a_source(name):
    """Each timing/power line in a preset carries a [label] defined under `sources`."""
    from archsim.config.presets import preset_text

    cfg = load_system(name)
    _, text = preset_text("systems", name)
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("timing:", "power:")):
            section = stripped.split(":")[0]
            continue
        if line.startswith("  ") and not line.startswith("    ") and stripped:
            section = None
        if section and stripped and not stripped.startswith("#") and ":" in stripped:
            labels = [part.split("]")[0] for part in line.split("[")[1:]]
            assert labels, f"{name}: no source for {stripped!r}"
            assert set(labels) <= set(cfg.sources), f"{name}: unknown label in {stripped!r}"


def test_every_run_system_the_issue_names_exists():
    assert {"hbm2-pim", "hbm3-pim", "gddr6-aim", "ddr4-axdimm", "ddr5-npu", "lpddr5-pim"} <= set(
        RUN_SYSTEMS
    )


@pytest.mark.parametrize("name", RUN_SYSTEMS)
def test_run_systems_have_a_host_link_matching_their_memory(name):
    cfg = load_system(name)
    cfg.require_run_parts()
    assert cfg.pim is not None and cfg.baseline().pim is None
    memory_peak = cfg.memory.organization.peak_bandwidth_bytes_per_s
    assert cfg.host_link.bandwidth_bytes_per_s == pytest.approx(memory_peak)


def test_hbm2_pim_has_the_published_stack_count_and_fits_llama2_7b():
    cfg = load_system("hbm2-pim")
    assert cfg.memory.organization.stacks == 4
    assert cfg.memory.organization.capacity_bytes > 13.5e9


def test_ddr4_timings_resolve_to_cycles():
    n = load_system("ddr4-3200").memory.cycles
    assert (n.nRCD, n.nCL, n.nRP, n.nRAS, n.nRC, n.nBL, n.nFAW) == (22, 22, 22, 52, 74, 4, 34)


def test_time_values_round_up_to_whole_cycles():
    n = load_system("ddr5-4800").memory.cycles  # tCK 416.67 ps
    assert n.nRCD == 39  # 16 ns / 0.41667 ns = 38.4 -> 39
    assert n.nRC == 116  # 48 ns -> 115.2 -> 116


@pytest.mark.parametrize(
    ("text", "dimension", "value"),
    [
        ("14ns", "time", 14e-9),
        ("3200MT/s", "rate", 3.2e9),
        ("3.9pJ/bit", "energy_per_bit", 3.9e-12),
        ("60mA", "current", 0.06),
        ("1.2V", "voltage", 1.2),
        ("8GiB", "bytes", 8 * 2**30),
    ],
)
def test_units(text, dimension, value):
    assert parse_quantity(text, dimension) == pytest.approx(value)


def test_wrong_unit_names_the_allowed_ones():
    with pytest.raises(UnitError, match="allowed: s, ms, us"):
        parse_quantity("14mA", "time")


def _error(overrides, name="ddr4-3200") -> str:
    with pytest.raises(ConfigError) as info:
        load_system(name, overrides)
    return str(info.value)


def test_trc_shorter_than_tras_plus_trp_names_the_field():
    message = _error({"memory": {"timing": {"tRC": "50nCK"}}})
    assert "memory.timing.tRC" in message and "tRAS + tRP" in message


def test_tras_shorter_than_trcd_is_rejected():
    assert "memory.timing.tRAS" in _error({"memory": {"timing": {"tRAS": "10nCK"}}})


def test_zero_banks_is_rejected_with_its_path():
    message = _error({"memory": {"organization": {"banks_per_group": 0}}})
    assert "memory.organization.banks_per_group" in message


def test_unknown_field_suggests_the_right_one():
    message = _error({"memory": {"timing": {"tRCDD": "10nCK"}}})
    assert "memory.timing.tRCDD: unknown field" in message and "tRCD" in message


def test_literal_lists_allowed_values():
    message = _error({"memory": {"controller": {"scheduler": "lifo"}}})
    assert "memory.controller.scheduler" in message and "'frfcfs' or 'fcfs'" in message


def test_bad_address_mapping_lists_fields():
    message = _error({"memory": {"controller": {"address_mapping": "row:col"}}})
    assert "memory.controller.address_mapping" in message and "bg-interleaved" in message


def test_per_bank_refresh_needs_the_standard_to_have_it():
    message = _error({"memory": {"controller": {"refresh": "per-bank"}}})
    assert "memory.controller.refresh" in message


def test_negative_activation_energy_is_rejected():
    message = _error({"memory": {"power": {"idd0": "40mA"}}})
    assert "memory.power.idd0" in message


def test_unknown_preset_lists_available():
    with pytest.raises(ConfigError, match=r"available: .*ddr4-3200"):
        load_system("ddr9")


def test_yaml_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmemory: [1, 2\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_system(str(bad))


@pytest.mark.parametrize("name", list_presets("systems"))
def test_resolved_config_dump_reloads_to_the_same_config(name):
    """The config written beside every output (``run --out``) is itself a valid, equal config."""
    cfg = load_system(name)
    again = SystemConfig.model_validate(json.loads(cfg.model_dump_json(by_alias=True)))
    assert again == cfg
    assert SystemConfig.model_validate(cfg.model_dump(by_alias=True)) == cfg
