"""The saved golden outputs (tests/golden/) are reproduced exactly.

The workload set is strict: a refactor of archsim/workload/ must not change one byte of a preset's
``trace info --json``, its operator graph, or a generator's output. The replay set follows the DRAM
timing kernel; when a kernel change is meant to move cycle counts, regenerate it with
``python -m tests.golden.make replay`` and say why in the commit.
"""

from __future__ import annotations

import difflib
import json

import pytest

from tests.golden import make


def test_workload_golden_reproduced_exactly():
    expected = {p.name: p.read_text() for p in make.WORKLOADS.iterdir()}
    actual = make.workload_outputs()
    assert sorted(actual) == sorted(expected), "golden file set changed"
    changed = [name for name in sorted(actual) if actual[name] != expected[name]]
    if changed:
        first = changed[0]
        diff = "".join(
            list(
                difflib.unified_diff(
                    expected[first].splitlines(True), actual[first].splitlines(True), first, "now"
                )
            )[:40]
        )
        raise AssertionError(f"{len(changed)} golden workload output(s) changed: {changed}\n{diff}")


def test_golden_covers_every_preset_and_generator():
    from archsim.workload.ops_cli import GEN_COMMANDS
    from archsim.workload.presets import list_workloads

    names = {p.name for p in make.WORKLOADS.iterdir()}
    for preset in list_workloads():
        assert f"preset-{preset}.jsonl" in names and f"preset-{preset}.info.json" in names
    covered = {argv[0] for _, argv in make.GENERATOR_CASES}
    assert covered == set(GEN_COMMANDS) | set(make.MEMORY_GENERATORS)


def test_replay_golden_reproduced():
    """Every saved preset replays to the saved counts. A memory preset added since is not
    required here (a new standard stays one YAML file); regenerating adds it."""
    expected = json.loads(make.REPLAY.read_text())
    actual = json.loads(make.replay_text())
    assert set(expected) <= set(actual), "a saved memory preset is gone"
    changed = {k: (expected[k], actual[k]) for k in expected if actual[k] != expected[k]}
    assert not changed, (
        f"replay counts changed for {sorted(changed)}; if a timing-kernel change means it,"
        f" regenerate with `python -m tests.golden.make replay`: {changed}"
    )


@pytest.mark.slow  # every runnable preset once: about a minute
def test_run_golden_reproduced():
    """Every runnable preset's run reproduces its saved numbers (to float noise). A model
    change meant to move them regenerates the set with `python -m tests.golden.make runs`."""
    expected = json.loads(make.RUNS.read_text())
    actual = json.loads(make.runs_text())
    assert set(expected) <= set(actual), "a saved system preset is gone"
    changed = {}
    for name, row in expected.items():
        now = actual[name]
        flat = [(k, v) for k, v in row.items() if not isinstance(v, dict)] + [
            (f"{side}.{k}", v)
            for side in ("baseline", "in_memory")
            for k, v in row.get(side, {}).items()
        ]
        for key, value in flat:
            side, _, field = key.partition(".")
            got = now.get(side, {}).get(field) if field else now.get(key)
            if got != value and not (
                isinstance(value, float) and got == pytest.approx(value, rel=1e-9)
            ):
                changed.setdefault(name, []).append((key, value, got))
    assert not changed, (
        f"run results changed for {sorted(changed)}; if a model change means it, regenerate"
        f" with `python -m tests.golden.make runs`: {changed}"
    )
