"""The saved golden outputs (tests/golden/) are reproduced exactly.

The workload set is strict: a refactor of archsim/workload/ must not change one byte of a preset's
``trace info --json``, its operator graph, or a generator's output. The replay set follows the DRAM
timing kernel; when a kernel change is meant to move cycle counts, regenerate it with
``python -m tests.golden.make replay`` and say why in the commit.
"""

from __future__ import annotations

import difflib
import json

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
    expected = json.loads(make.REPLAY.read_text())
    actual = json.loads(make.replay_text())
    assert actual == expected, (
        "replay cycle counts changed; if a timing-kernel change means it, regenerate with"
        " `python -m tests.golden.make replay`"
    )
