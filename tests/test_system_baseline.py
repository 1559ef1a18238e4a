"""A system may name its baseline; a system without in-memory compute runs alone."""

from __future__ import annotations

import pytest

from archsim.config.presets import load_system
from archsim.errors import ConfigError
from archsim.simulate import simulate


def test_a_named_baseline_is_used(tmp_path):
    twin = simulate("hbm2-pim", "gemv-4096x1024-fp16").report
    cfg = load_system("hbm2-pim", {"baseline": "hbm3-pim"})
    with pytest.raises(ConfigError, match=r"field 'baseline'.*in-memory compute"):
        simulate(cfg, "gemv-4096x1024-fp16")
    path = tmp_path / "h100.json"
    h100 = load_system("hbm3-pim").baseline().model_copy(update={"name": "h100-alone"})
    path.write_text(h100.model_dump_json(by_alias=True))
    cfg = load_system("hbm2-pim", {"baseline": str(path)})
    named = simulate(cfg, "gemv-4096x1024-fp16").report
    # The H100-class baseline streams the GEMV faster than the MI100-class twin.
    assert named.baseline.time_ns < twin.baseline.time_ns
    assert named.in_memory.time_ns == pytest.approx(twin.in_memory.time_ns)


def test_unknown_baseline_is_a_clear_error():
    cfg = load_system("hbm2-pim", {"baseline": "no-such-system"})
    with pytest.raises(ConfigError, match="field 'baseline'"):
        simulate(cfg, "gemv-4096x1024-fp16")


def test_a_system_without_pim_runs_alone():
    cfg = load_system("hbm2-pim").baseline()
    result = simulate(cfg, "gemv-4096x1024-fp16")
    assert result.report.in_memory is None and result.report.comparison is None
    assert result.report.baseline.time_ns > 0
    assert result.report.table().row_count > 3
