"""Memory standards are data: a new one is a YAML file and a README line, no code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archsim.config.presets import list_presets, load_system
from archsim.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _memory_presets() -> list[str]:
    return [n for n in list_presets("systems") if (c := load_system(n)).host is None and not c.pim]


def _readme_memory_table() -> dict[str, str]:
    """Preset -> standard, from the README's list of memory presets."""
    text = (ROOT / "README.md").read_text()
    section = text.split("- **Memory presets**", 1)[1].split("- **Controller.**", 1)[0]
    return dict(re.findall(r"^\s*\| `([\w.-]+)` \| (\S+) \|", section, re.M))


def test_every_memory_preset_has_its_readme_line():
    listed = _readme_memory_table()
    presets = _memory_presets()
    assert sorted(listed) == sorted(presets)
    for name in presets:
        assert listed[name] == load_system(name).memory.standard


def test_hbm3e_exists_only_as_data():
    """Adding HBM3E touched no Python: the name appears in no archsim module."""
    assert load_system("hbm3e").memory.standard == "HBM3E"
    for path in (ROOT / "archsim").rglob("*.py"):
        assert "HBM3E" not in path.read_text(), path


def _variant(tmp_path, base: str, old: str, new: str, name: str) -> Path:
    text = (ROOT / "configs" / "systems" / f"{base}.yaml").read_text()
    assert old in text
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace(old, new))
    return path


def test_a_new_standard_is_a_yaml_file(tmp_path):
    from archsim.system.replay import replay
    from archsim.workload.samples import resolve_trace

    path = _variant(tmp_path, "hbm3e", "standard: HBM3E", "standard: HBM4-PROTO", "hbm4-proto")
    cfg = load_system(str(path))
    assert cfg.memory.standard == "HBM4-PROTO" and cfg.memory.package == "stacked"
    report = replay(cfg, resolve_trace("stream"), wrap=True).report
    reference = replay("hbm3e", resolve_trace("stream"), wrap=True).report
    assert report.requests == 20_000 and report.cycles == reference.cycles


def test_a_bad_standard_name_names_the_field(tmp_path):
    path = _variant(tmp_path, "hbm3e", "standard: HBM3E", "standard: hbm 3e", "bad")
    with pytest.raises(ConfigError, match=r"memory\.standard.*upper-case"):
        load_system(str(path))


def test_a_system_on_a_new_standard_needs_its_own_price(tmp_path):
    from archsim.energy.tco import capex_usd

    path = _variant(tmp_path, "hbm3-pim", "  base: hbm3\n", "  base: hbm3e\n", "hbm3e-pim")
    with pytest.raises(ConfigError, match=r"tco\.memory_price.*'HBM3E'"):
        load_system(str(path))
    priced = path.read_text().replace(
        "  base: default\n",
        "  base: default\n  memory_price: {HBM3E: 7$/GB}   # as HBM3 [LC]\n"
        "  memory_carbon: {HBM3E: 65g/GB}  # as HBM3\n",
    )
    path.write_text(priced)
    cfg = load_system(str(path))
    hbm3 = load_system("hbm3-pim")
    capex, base = capex_usd(cfg, cfg.tco), capex_usd(hbm3, hbm3.tco)
    # 24 GiB stacks instead of 16 GiB at HBM3's price (and PIM area per GB), the same
    # packaging (stacked, five stacks) and dies.
    per_gb = ("memory", "pim_dram")
    for part in per_gb:
        assert capex[part] == pytest.approx(base[part] * 1.5)
    rest = [k for k in base if k not in (*per_gb, "total")]
    assert rest and {k: capex[k] for k in rest} == {k: base[k] for k in rest}


def test_timing_table_and_cycles_derive_from_one_list():
    """A timing parameter is one TIMING_PARAMS entry: the YAML schema and the cycles follow."""
    from dataclasses import fields

    from archsim.config.dram import TIMING_PARAMS, CycleTimings, TimingTable

    names = [p.name for p in TIMING_PARAMS]
    assert list(TimingTable.model_fields) == names
    assert [f.name for f in fields(CycleTimings)] == ["n" + n[1:] for n in names]
    optional = {p.name for p in TIMING_PARAMS if p.default or p.yaml_default}
    assert {k for k, f in TimingTable.model_fields.items() if not f.is_required()} == optional
    # Defaults resolve from parameters listed before them: leaving every optional one out of a
    # preset gives the documented rules.
    cfg = load_system("hbm3e")
    data = cfg.memory.model_dump(mode="json", by_alias=True)
    data["timing"] = {k: v for k, v in data["timing"].items() if k not in optional}
    n = type(cfg.memory).model_validate(data).cycles
    assert (n.nRCDW, n.nRC, n.nCCD_L_WR) == (n.nRCD, n.nRAS + n.nRP, n.nCCD_L)
    assert n.nRTW == n.nCL + n.nBL + 2 - n.nCWL and n.nRREFD == n.nRRD_S
