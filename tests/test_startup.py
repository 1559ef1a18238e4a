"""Start-up: each command imports only what it uses (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Modules that only the sweep store, the search, the Dask executor and the figures need.
SWEEP_ONLY = ("duckdb", "pyarrow", "dask", "distributed", "optuna", "matplotlib")

# Runs the CLI in-process in a fresh interpreter, then prints which modules it had loaded.
PROBE = """
import json, sys
from archsim.cli import main
mods = json.loads(sys.argv[2])
sys.argv = ["archsim", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
sys.stdout.flush()
print("\\nPROBE", json.dumps({"code": code, "loaded": [m for m in mods if m in sys.modules]}))
"""


def loaded_after(args: list[str], modules: tuple[str, ...]) -> tuple[int, list[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(modules)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = proc.stdout.rstrip().splitlines()[-1]
    assert last.startswith("PROBE "), proc.stdout + proc.stderr
    probe = json.loads(last.removeprefix("PROBE "))
    return probe["code"], probe["loaded"], proc.stdout


# numba's implementation modules, which it loads to compile: a replay whose kernels are cached
# runs without them (archsim.jit.load_from_cache_alone).
LOWERING = (
    "numba.np.arraymath",
    "numba.np.arrayobj",
    "numba.np.npyimpl",
    "numba.typed.typeddict",
    "scipy.linalg",
)


@pytest.mark.parametrize(
    ("args", "absent"),
    [
        (["replay", "ddr4-3200", "random", "--json", "-"], SWEEP_ONLY + LOWERING),
        (["run", "hbm2-pim", "-w", "gemv-4096x1024-fp16", "--json", "-"], SWEEP_ONLY),
    ],
    ids=["replay", "run"],
)
def test_replay_and_run_do_not_import_the_sweep_stack(args, absent):
    code, loaded, out = loaded_after(args, absent)
    if "compiling" in out:  # a cold cache compiles through numba's own path, which loads them all
        code, loaded, out = loaded_after(args, absent)
    assert code == 0, out
    assert '"time_ns"' in out or '"comparison"' in out  # the command did its work
    assert loaded == [], f"archsim {args[0]} imported {loaded}"


def test_help_imports_neither_rich_numpy_nor_the_models():
    code, loaded, out = loaded_after(
        ["--help"], (*SWEEP_ONLY, "numpy", "numba", "pydantic", "yaml", "rich", "archsim.config")
    )
    assert code == 0
    assert "replay" in out and "trace" in out and "analog" in out
    assert loaded == []


def test_lazy_groups_list_and_run_their_commands():
    code, _, out = loaded_after(["--help"], ())
    assert "Make and inspect traces." in out
    assert "Analog crossbar tiles and closed-loop solvers." in out
    code, _, out = loaded_after(["trace", "gen", "--help"], ())
    assert code == 0 and "stream" in out and "gemv" in out
    code, _, out = loaded_after(["analog", "--help"], ())
    assert code == 0 and "mvm" in out and "solve" in out


@pytest.mark.slow  # over 2 s: run by CI's slow stage
def test_outputs_are_complete_and_nothing_is_left_behind(tmp_path):
    """The CLI skips the final garbage collection at exit: everything it wrote must be whole
    and closed by then, and its temporary files gone."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    cmd = [sys.executable, "-m", "archsim"]

    def archsim(*args: str) -> str:
        proc = subprocess.run(
            [*cmd, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    lines = [f"{'ST' if i % 3 == 0 else 'LD'} {hex((i * 7919 % 4096) * 64)}" for i in range(2000)]
    (tmp_path / "t.trace").write_text("\n".join(lines) + "\n")
    archsim(
        "replay", "ddr4-3200", "t.trace", "--json", "r.json", "--stats", "s.json",
        "--command-log", "c.log",
    )  # fmt: skip
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["requests"] == 2000  # every line of the trace
    assert json.loads((tmp_path / "s.json").read_text())
    checked = archsim("check-log", "c.log")  # the log parses to its last command
    assert f"{sum(report['commands'].values()):,} commands" in checked

    (tmp_path / "sweep.yaml").write_text(
        "name: tiny\nsystem: hbm2-pim\nworkload: {generator: gemv, m: 256, k: 256}\n"
        "parameters: {host_link.width: [1024, 2048]}\n"
    )
    archsim("sweep", "sweep.yaml", "--db", "t.duckdb", "--export", "t.csv")
    assert len((tmp_path / "t.csv").read_text().splitlines()) == 1 + 2
    from archsim.dse.store import ResultStore

    store = ResultStore(tmp_path / "t.duckdb", read_only=True)
    try:
        assert sorted(r["status"] for r in store.rows()) == ["ok"] * 2
    finally:
        store.close()
    assert not (tmp_path / "t.duckdb.wal").exists()
    assert list(tmp.iterdir()) == []  # timing-sharing directory and any scratch removed


def test_kernels_load_without_the_blas_probe_and_scipy_still_imports():
    """numba's array math loads without importing scipy.linalg (archsim.jit), and a later
    `import scipy.linalg` in the same process works as usual."""
    import importlib.util

    if importlib.util.find_spec("scipy") is None:
        pytest.skip("SciPy is not installed: there is no probe to skip")
    code = (
        "import sys, archsim.pim.analog.kernels, numba.np.arraymath;"
        "print('scipy.linalg' in sys.modules);"
        "import scipy.linalg; print(scipy.linalg.norm([3.0, 4.0]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout.split()
    assert out == ["False", "5.0"]


def test_console_script_is_the_process_entry(monkeypatch):
    """pyproject's `archsim` script names archsim.__main__.main, which sets the process-wide GC
    thresholds, turns pydantic's plugin search off and then runs the CLI (checked on
    `--version`, in this process)."""
    import gc
    import importlib
    import tomllib
    from pathlib import Path

    target = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"][
        "scripts"
    ]["archsim"]
    module, _, attr = target.partition(":")
    entry = getattr(importlib.import_module(module), attr)
    saved = gc.get_threshold()
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    monkeypatch.setattr(sys, "argv", ["archsim", "--version"])
    try:
        with pytest.raises(SystemExit) as exit_:
            entry()
        assert exit_.value.code == 0
        process = importlib.import_module("archsim.__main__")
        assert gc.get_threshold() == process.GC_THRESHOLDS
        assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    finally:
        gc.set_threshold(*saved)
        gc.unfreeze()  # main() freezes the heap once the command is done


def test_top_level_commands_are_built_when_named():
    """The root group converts a command from typer to click only when it is looked up, and
    lists the same commands, in the same order, as typer's eager build of ``app``."""
    import typer
    from typer.core import TyperCommand

    from archsim import cli

    cli._root_command.cache_clear()
    try:
        root = cli._root_command()
        ctx = None  # neither lookup nor listing reads the context
        assert root.commands["replay"] is None and root.commands["run"] is None
        assert isinstance(root.get_command(ctx, "replay"), TyperCommand)
        assert root.commands["run"] is None  # looking up one builds that one only
        eager = typer.main.get_command(cli.app)
        assert root.list_commands(ctx) == eager.list_commands(ctx)
        for name in root.list_commands(ctx):
            built, reference = root.get_command(ctx, name), eager.get_command(ctx, name)
            assert built.get_short_help_str() == reference.get_short_help_str()
            assert [p.name for p in built.params] == [p.name for p in reference.params]
    finally:
        cli._root_command.cache_clear()
