"""The layer rule of docs/design.md, checked on every import in archsim (function-level too).

    config <- workload
    config <- engine <- memory <- {host, pim, interconnect} <- energy <- mapping <- system
           <- {serving, dse, report} <- cli
    host, pim and mapping (and what stands above mapping) may read workloads; memory may not.

A module may import its own layer and the layers the rule puts below it; ``errors`` and
``version`` sit below everything. Today's exceptions are listed in KNOWN_VIOLATIONS and
KNOWN_CYCLES, each with its reason. The test fails when a new one appears, and also when a listed
one is gone, so the lists only shrink, by editing them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What each layer may import besides itself (the closure of the rule, written out).
_BELOW_ENGINE = {"base", "config"}
ALLOWED: dict[str, set[str]] = {
    "base": set(),
    "config": {"base"},
    "workload": {"base", "config"},
    "engine": _BELOW_ENGINE,
    "memory": _BELOW_ENGINE | {"engine"},
    "interconnect": _BELOW_ENGINE | {"engine", "memory"},
    "host": _BELOW_ENGINE | {"engine", "memory", "workload"},
    "pim": _BELOW_ENGINE | {"engine", "memory", "workload"},
}
ALLOWED["energy"] = ALLOWED["memory"] | {"memory", "host", "pim", "interconnect"}
ALLOWED["mapping"] = ALLOWED["energy"] | {"energy", "workload"}
ALLOWED["system"] = ALLOWED["mapping"] | {"mapping"}
for _top in ("serving", "dse", "report"):
    ALLOWED[_top] = ALLOWED["system"] | {"system"}
ALLOWED["dse"] |= {"serving"}  # a sweep may sweep serving runs (the serve point kind)
ALLOWED["cli"] = ALLOWED["system"] | {"system", "serving", "dse", "report"}
# The archsim package itself (replay() and sweep()) sits on top; it sets numba's cache up
# (archsim.jit, which belongs with the CLI) before any kernel is imported.
ALLOWED["api"] = ALLOWED["cli"] | {"cli"}

# Modules that are a layer of their own rather than a folder.
_MODULE_LAYERS = {
    "archsim": "api",
    "archsim.__main__": "cli",
    "archsim.cli": "cli",
    "archsim.study": "base",  # the validation record every layer's studies return
    "archsim.validation": "cli",  # the registry of every layer's studies, for `validate`
    "archsim.simulate": "system",
    "archsim.errors": "base",
    "archsim.limits": "base",  # bounds on the work a command may start: errors only
    "archsim.outputs": "base",  # output-path checks and atomic writes: errors only
    "archsim.version": "base",
    "archsim.jit": "base",  # numba cache directory and compile notices: nothing of archsim
    "archsim.terminal": "base",  # the lazy rich console: imports nothing of archsim
    "archsim.warmup": "cli",  # `archsim warmup`: runs every layer's kernels
}

# (importer, imported): why it is so today. Remove a line when its import goes.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}

# Strongly connected groups of modules (import cycles) today, each with what closes it.
KNOWN_CYCLES: dict[frozenset[str], str] = {}


# Packages that are a layer of their own rather than a folder of the rule.
_PACKAGE_LAYERS = {
    "archsim.records": "base",  # the records a run hands upward (RunReport, ReplayReport, ...)
}


def layer(module: str) -> str:
    if module in _MODULE_LAYERS:
        return _MODULE_LAYERS[module]
    for package, name in _PACKAGE_LAYERS.items():
        if module == package or module.startswith(package + "."):
            return name
    return module.split(".")[1]


@cache
def modules() -> dict[str, Path]:
    out = {}
    for path in sorted((ROOT / "archsim").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported_names(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


@cache
def import_graph() -> dict[str, frozenset[str]]:
    """Module -> the archsim modules it imports anywhere in its body (parents excluded)."""
    mods = modules()
    graph = {}
    for module, path in mods.items():
        targets = set()
        for name in _imported_names(module, path):
            while name and name not in mods:  # `from pkg import name`: name may be an attribute
                name = name.rpartition(".")[0]
            # A package's __init__ runs before any of its modules: not a dependency they add.
            if name and name != module and not module.startswith(name + "."):
                targets.add(name)
        graph[module] = frozenset(targets)
    return graph


def violations(graph: dict[str, frozenset[str]] | None = None) -> set[tuple[str, str]]:
    return {
        (a, b)
        for a, targets in (graph or import_graph()).items()
        for b in targets
        if layer(a) != layer(b) and layer(b) not in ALLOWED[layer(a)]
    }


def cycles(graph: dict[str, frozenset[str]] | None = None) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    graph = graph or import_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.add(frozenset(group))
    return found


def test_every_module_has_a_layer():
    unknown = {m for m in modules() if layer(m) not in ALLOWED}
    assert not unknown, f"modules outside every layer of docs/design.md: {sorted(unknown)}"


def test_the_scan_sees_function_level_imports():
    # system/replay.py imports archsim.workload.memtrace at module level and the analog unit
    # imports its execution inside a method: both must be edges.
    graph = import_graph()
    assert "archsim.workload.memtrace" in graph["archsim.system.replay"]
    assert "archsim.pim.analog.execute" in graph["archsim.pim.units.analog"]


def test_layer_rule_holds_but_for_the_known_list():
    found = violations()
    new = sorted(found - set(KNOWN_VIOLATIONS))
    gone = sorted(set(KNOWN_VIOLATIONS) - found)
    assert not new, "imports against the layer rule (docs/design.md):\n" + "\n".join(
        f"  {a} ({layer(a)}) -> {b} ({layer(b)})" for a, b in new
    )
    assert not gone, "no longer violated; delete from KNOWN_VIOLATIONS:\n" + "\n".join(
        f"  {a} -> {b}" for a, b in gone
    )


def test_no_import_cycles_but_the_known_ones():
    found = cycles()
    new = [sorted(c) for c in found - set(KNOWN_CYCLES)]
    gone = [sorted(c) for c in set(KNOWN_CYCLES) - found]
    assert not new, f"new or changed import cycles: {new}"
    assert not gone, f"cycles gone or changed; edit KNOWN_CYCLES: {gone}"


def test_the_checker_catches_a_cycle_and_a_violation():
    fake = {
        "archsim.memory.a": frozenset({"archsim.workload.b"}),
        "archsim.workload.b": frozenset({"archsim.config.c", "archsim.memory.a"}),
        "archsim.config.c": frozenset(),
        "archsim.cli": frozenset({"archsim.memory.a", "archsim.config.c"}),
    }
    assert cycles(fake) == {frozenset({"archsim.memory.a", "archsim.workload.b"})}
    assert violations(fake) == {
        ("archsim.memory.a", "archsim.workload.b"),
        ("archsim.workload.b", "archsim.memory.a"),
    }


def test_every_package_is_installed():
    """pyproject lists its packages by hand: a new package left out of it is missing from
    `pip install .` (twice so far: system/, then memory/kernel/ and records/)."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "archsim").rglob("__init__.py")
    }
    assert found <= listed, f"add to pyproject's packages: {sorted(found - listed)}"
