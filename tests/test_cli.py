"""The command line: JSON contract, trace generation, and bad input without tracebacks."""

from __future__ import annotations

import json

import pytest

REPLAY_KEYS = {
    "requests",
    "reads",
    "writes",
    "cycles",
    "time_ns",
    "bandwidth_gbps",
    "row_hit_rate",
    "avg_latency_ns",
    "p99_latency_ns",
    "energy_pj",
}


from tests.cli_runner import archsim  # noqa: E402  (in-process unless a test gives cwd)


def test_replay_json_contract():
    run = archsim("replay", "ddr4-3200", "stream", "--json", "-")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert set(report) >= REPLAY_KEYS
    assert {"act_pre", "read", "write", "refresh", "background", "io", "total"} <= set(
        report["energy_pj"]
    )
    assert report["requests"] == report["reads"] + report["writes"] == 20_000


def test_presets_lists_systems_and_samples(tmp_path):
    # From outside the source tree, so the installed package's data is what is listed.
    run = archsim("presets", cwd=tmp_path)
    assert run.returncode == 0
    for name in ("ddr4-3200", "hbm2", "hbm3", "gddr6-16g", "lpddr5-6400", "ddr5-4800", "stream"):
        assert name in run.stdout


@pytest.mark.slow  # over 2 s: run by CI's slow stage
def test_trace_gen_replay_and_check_log(tmp_path):
    trace = tmp_path / "r.trace.gz"
    run = archsim(
        "trace",
        "gen",
        "random",
        "--requests",
        "3000",
        "--read-ratio",
        "0.7",
        "--span",
        "64MiB",
        "--seed",
        "4",
        "--format",
        "dramsim3",
        "-o",
        str(trace),
    )
    assert run.returncode == 0, run.stderr
    log = tmp_path / "cmd.log"
    stats = tmp_path / "stats.json"
    run = archsim(
        "replay",
        "lpddr5-6400",
        str(trace),
        "--command-log",
        str(log),
        "--stats",
        str(stats),
        "--json",
        str(tmp_path / "r.json"),
    )
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "r.json").read_text())["requests"] == 3000
    assert "system.memory.ch0.reads" in json.loads(stats.read_text())
    run = archsim("check-log", str(log))
    assert run.returncode == 0, run.stderr + run.stdout
    assert "respect every constraint" in run.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "ddr9", "stream"], "unknown system preset 'ddr9'"),
        (["replay", "ddr4-3200", "nope.trace"], "not a sample trace"),
        (["replay", "ddr4-3200", "stream", "--format", "xml"], "--format"),
        (["trace", "gen", "random", "--read-ratio", "1.5", "-o", "x.trace"], "--read-ratio"),
        (["trace", "gen", "random", "--span", "12parsecs", "-o", "x.trace"], "--span"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, args, message):
    run = archsim(*args, cwd=tmp_path)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


@pytest.mark.slow  # over 1 s: run by CI's slow stage
def test_address_beyond_capacity_names_the_line(tmp_path):
    trace = tmp_path / "far.trace"
    trace.write_text("LD 0x40\nLD 0x40000000000\n")
    run = archsim("replay", "ddr4-3200", str(trace))
    assert run.returncode == 2
    assert "far.trace:2:" in run.stderr and "--wrap" in run.stderr
    run = archsim("replay", "ddr4-3200", str(trace), "--wrap", "--json", "-")
    assert run.returncode == 0 and json.loads(run.stdout)["requests"] == 2


def test_bad_system_yaml_names_the_field(tmp_path):
    from archsim.config.presets import preset_text

    _, text = preset_text("systems", "ddr4-3200")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("tRC: 74nCK", "tRC: 40nCK"))
    run = archsim("replay", str(bad), "stream")
    assert run.returncode == 2
    assert "memory.timing.tRC" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.slow  # over 3 s: run by CI's slow stage
def test_validate_quick_passes_every_study(tmp_path):
    out = tmp_path / "studies.json"
    result = archsim("validate", "--quick", "--json", str(out))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "studies within tolerance" in result.stdout
    studies = json.loads(out.read_text())["studies"]
    fields = {"group", "system", "study", "kind", "reference", "model", "error", "tolerance"}
    assert all(fields <= set(s) and {"verdict", "citation"} <= set(s) for s in studies)
    assert {s["kind"] for s in studies} <= {"external", "closed-form", "self"}
    external = [s for s in studies if s["kind"] == "external"]
    assert len(external) >= 20 and all(s["citation"] for s in external)
    assert {s["group"] for s in external} >= {"dram", "host", "pim"}
    # Every miss is a documented finding; none is silently passed.
    assert all(s["verdict"] == "pass" or (s["verdict"] == "finding" and s["finding"])
               for s in studies)  # fmt: skip
    assert sum(s["verdict"] == "pass" for s in external) >= 17


def test_presets_catalogue_describes_every_preset(capsys):
    from archsim.cli import execute
    from archsim.report.catalog import catalogue

    assert execute(["presets"]) == 0
    text = capsys.readouterr().out
    entries = catalogue()
    assert {e.kind for e in entries} >= {"systems", "workloads", "sweeps", "devices", "traces"}
    for e in entries:
        assert e.description, f"{e.kind} {e.name} has no description"
        line = next(x for x in text.splitlines() if x.split()[:1] == [e.name])
        assert len(line) <= 100, line  # piped: one line per preset, never wrapped
    # DRAM-only systems are marked: they work with replay, not run.
    assert "[DRAM]" in next(x for x in text.splitlines() if x.split()[:1] == ["hbm2"])
    assert "[DRAM]" not in next(x for x in text.splitlines() if x.split()[:1] == ["hbm2-pim"])


def test_version_is_the_package_version(capsys):
    from archsim.cli import execute
    from archsim.version import __version__

    assert execute(["--version"]) == 0
    assert capsys.readouterr().out == f"archsim {__version__}\n"
