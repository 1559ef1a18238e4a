"""archsim sweep / report from the command line: progress, summary, PNG and HTML output."""

from __future__ import annotations

import base64

import pytest
import yaml
from typer.testing import CliRunner

from archsim.cli import app
from archsim.dse.analysis import Axis, pareto_front

SPEC = {
    "name": "tiny",
    "system": "hbm2-pim",
    "workload": {"generator": "gemv", "m": 256, "k": 256},
    "parameters": {"workload.m": [256, 1024, 4096], "host_link.width": [1024, 4096]},
}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("rep")
    path = root / "tiny.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    db = root / "tiny.duckdb"
    result = CliRunner().invoke(app, ["sweep", str(path), "--db", str(db), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "6 ok" in result.output or "6/6" in result.output
    return root, db


@pytest.mark.slow  # over 2 s: run by CI's slow stage
def test_report_writes_png_and_self_contained_html(swept):
    root, db = swept
    png, page = root / "front.png", root / "page.html"
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(db),
            "--pareto",
            "comparison.speedup:max,in_memory.energy_pj.total",
            "--plot",
            str(png),
            "--html",
            str(page),
        ],
    )
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("energy", "roofline", "sensitivity"):
        assert (root / f"front-{name}.png").stat().st_size > 0
    text = page.read_text()
    assert text.count("data:image/png;base64,") >= 4 and "src='http" not in text
    first = text.split("data:image/png;base64,", 1)[1].split("'", 1)[0]
    assert base64.b64decode(first)[:4] == b"\x89PNG"
    assert "Pareto front" in text


def test_bad_pareto_metric_is_one_line(swept):
    _, db = swept
    result = CliRunner().invoke(app, ["report", str(db), "--pareto", "comparison.sped,x"])
    assert result.exit_code != 0
    assert "did you mean comparison.speedup" in str(result.exception)


def test_pareto_front_minimal_example():
    rows = [{"a": 1, "b": 5}, {"a": 2, "b": 2}, {"a": 3, "b": 3}, {"a": 5, "b": 1}]
    assert pareto_front(rows, Axis("a", "min"), Axis("b", "min")) == [True, True, False, True]
    assert pareto_front(rows, Axis("a", "max"), Axis("b", "max")) == [True, False, True, True]


def test_sweep_cli_unknown_path_is_a_user_error(tmp_path):
    from archsim.errors import ConfigError

    bad = {**SPEC, "parameters": {"pim.lane": [16]}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = CliRunner().invoke(app, ["sweep", str(path), "--db", str(tmp_path / "b.duckdb")])
    assert isinstance(result.exception, ConfigError)
    assert "did you mean pim.lanes" in str(result.exception)
    assert not (tmp_path / "b.duckdb").exists()


@pytest.mark.slow  # over 1 s: run by CI's slow stage
def test_sweep_plot_uses_the_sweeps_report_settings(tmp_path):
    from archsim.dse.report import build_report

    spec = {
        **SPEC,
        "report": {
            "pareto": "comparison.speedup:max,in_memory.time_ns",
            "metric": "comparison.energy_reduction",
        },
    }
    path = tmp_path / "settled.yaml"
    path.write_text(yaml.safe_dump(spec))
    db, png = tmp_path / "s.duckdb", tmp_path / "s.png"
    args = ["sweep", str(path), "--db", str(db), "--plot", str(png)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert png.stat().st_size > 0 and (tmp_path / "s-sensitivity.png").stat().st_size > 0
    rep = build_report(db)
    assert (rep.x.metric, rep.x.goal) == ("comparison.speedup", "max")
    assert (rep.y.metric, rep.y.goal) == ("in_memory.time_ns", "min")


@pytest.mark.parametrize("pareto", ["a", "a,b,c", "a:best,b", ",b"])
def test_bad_report_pareto_in_a_sweep_names_the_field(tmp_path, pareto):
    from archsim.dse.spec import load_sweep
    from archsim.errors import ConfigError

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**SPEC, "report": {"pareto": pareto}}))
    with pytest.raises(ConfigError, match=r"report\.pareto: write two metrics"):
        load_sweep(str(path))


def test_report_metric_missing_from_the_results_is_named(tmp_path):
    from archsim.dse.report import build_report
    from archsim.errors import ArchsimError

    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({**SPEC, "report": {"metric": "comparison.nothing"}}))
    db = tmp_path / "m.duckdb"
    assert CliRunner().invoke(app, ["sweep", str(path), "--db", str(db)]).exit_code == 0
    rep = build_report(db)
    with pytest.raises(ArchsimError, match=r"report\.metric .* 'comparison\.nothing'"):
        rep.figures()
    assert "sensitivity" in rep.figures("comparison.speedup")  # --metric overrides it


def test_every_figure_has_labelled_axes_with_units_and_a_legend(swept):
    """A reader's checks, automated: both axes labelled, each label with its unit in
    parentheses, a legend wherever several series share a figure, no offset text ('1e9')."""
    import re

    import matplotlib.pyplot as plt

    from archsim.dse.report import build_report

    _, db = swept
    rep = build_report(db, "comparison.speedup:max,in_memory.energy_pj.total")
    figs = rep.figures()
    assert {"pareto", "energy", "roofline", "sensitivity"} <= set(figs)
    for name, fig in figs.items():
        fig.canvas.draw()
        axes = [ax for ax in fig.axes if ax.get_visible()]
        labelled = 0
        for ax in axes:
            for label in (ax.get_xlabel(), ax.get_ylabel()):
                if name == "energy" and label == ax.get_xlabel():
                    assert label  # categories (point and side): no unit
                    continue
                if name == "sensitivity" and label == ax.get_xlabel():
                    assert label  # the swept parameter's own name
                    continue
                unit = re.search(r"\((?!lower|higher)[^)]+\)", label)
                assert unit, f"{name}: axis label {label!r} has no unit"
            for axis in (ax.xaxis, ax.yaxis):
                assert not axis.get_offset_text().get_text(), f"{name}: offset on an axis"
            handles, _ = ax.get_legend_handles_labels()
            labelled = max(labelled, len(handles))
        if labelled > 1:
            assert any(ax.get_legend() for ax in axes) or fig.legends, f"{name}: no legend"
        plt.close(fig)
    # Energy in a readable prefix (these points use µJ), not pJ with an offset.
    assert "(µJ)" in figs["pareto"].axes[0].get_ylabel()


def test_html_report_carries_spec_version_and_date(swept):
    from archsim.dse.report import build_report, write_html
    from archsim.version import __version__

    root, db = swept
    rep = build_report(db)
    page = write_html(rep, {}, root / "meta.html").read_text()
    assert f"archsim {__version__}" in page and " UTC" in page
    assert "sweep spec: tiny" in page and "workload.m" in page
