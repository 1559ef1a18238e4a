"""One sweep point: resolving it to a system and workload, its hash, and running it in a worker.

The parent merges each point's parameters into its base configuration and hashes the result (no
validation: on a small machine the parent's time is taken from the workers); a worker validates
and runs it and returns a plain dict, so nothing but JSON-able data crosses a process or network
boundary. A value that fails validation is that point's recorded error.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from archsim.config.presets import (
    _merge,
    _resolve_bases,
    format_validation_error,
    parse_assignments,
    preset_text,
)
from archsim.config.system import SystemConfig
from archsim.config.units import UNITS_REQUIRED
from archsim.config.yaml_text import parse_preset_yaml
from archsim.errors import ArchsimError, ConfigError

# Report keys that are identity, not metrics (the store has its own columns for them).
_NOT_METRICS = {"archsim_version", "seed"}
# A test hook: a point whose workload carries this name makes the worker process exit, the way
# a segfault or the OOM killer would. Only the tests set it.
CRASH_NAME = "__archsim_test_crash__"
# Base systems kept parsed per process (a sweep names a handful).
BASE_CACHE = 32
# The one parameter that is not a field: which base system (preset name or YAML path).
SYSTEM_PARAM = "system"
# ... and the one that picks the base workload (preset name, path or generator mapping).
WORKLOAD_PARAM = "workload"


# Point kinds besides `archsim run`, chosen by the `kind` of a workload mapping. Each names a
# module with ``run_point(system, workload, seed) -> metrics mapping`` and ``paths() -> {path:
# is_mapping}`` of its ``workload.<field>`` parameters. They are loaded by name: the kinds live
# in layers beside dse (serving), which dse must not import (tests/test_layers.py).
POINT_KINDS: dict[str, str] = {"serve": "archsim.serving.sweep"}


def point_kind(workload: Any):
    """The module of a workload mapping's point kind, or None for a run point."""
    if not isinstance(workload, dict) or "kind" not in workload:
        return None
    kind = workload["kind"]
    if kind not in POINT_KINDS:
        raise ConfigError(
            f"workload.kind: {kind!r} is not one of {', '.join(POINT_KINDS)} (omit it for a run)"
        )
    import importlib

    return importlib.import_module(POINT_KINDS[kind])


@dataclass(frozen=True)
class Task:
    """Everything a worker needs to run one point (plain data)."""

    key: str
    index: int
    params: dict[str, Any]
    seed: int
    system: str | dict[str, Any] = ""  # the base system (preset, path or mapping)
    workload: dict[str, Any] | str = ""
    fidelity: str = "fast"
    error: str | None = None  # set when the parent could not resolve the point (e.g. no preset)


def _overrides(params: dict[str, Any], workload: bool) -> dict[str, Any]:
    """System (``workload=False``) or workload parameters as a nested override mapping."""
    items = [
        f"{p.removeprefix('workload.')}={json.dumps(v)}"
        for p, v in params.items()
        if p.startswith("workload.") == workload and p not in (SYSTEM_PARAM, WORKLOAD_PARAM)
    ]
    return parse_assignments(items)


@functools.lru_cache(maxsize=BASE_CACHE)
def _base_system(ref: str) -> tuple[str, dict[str, Any]]:
    """A system preset or file parsed once per process (YAML parsing dominated the parent)."""
    label, text = preset_text("systems", ref)
    try:
        data = parse_preset_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping of fields at the top level")
    return label, _resolve_bases(data, "systems", label)


def system_data(ref: str | dict[str, Any], params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The base system's mapping with the point's system parameters merged in (not validated)."""
    overrides = _overrides(params, workload=False)
    if isinstance(ref, str):
        label, base = _base_system(ref)
    else:
        label, base = "sweep system", _resolve_bases(ref, "systems", "sweep system")
    return label, _merge(base, overrides)  # _merge copies what it changes; base stays as parsed


def resolve_system(ref: str | dict[str, Any], params: dict[str, Any]) -> SystemConfig:
    """The base system with the point's system parameters applied; errors name the path."""
    label, data = system_data(ref, params)
    try:
        return SystemConfig.model_validate(data, context={UNITS_REQUIRED: True})
    except ValidationError as exc:
        details = format_validation_error(exc)
        raise ConfigError(f"{label}: invalid configuration\n{details}") from None


def resolve_workload(base: dict[str, Any] | str, params: dict[str, Any]) -> dict[str, Any] | str:
    if isinstance(base, str):
        return base
    return _merge(base, _overrides(params, workload=True))


def config_hash(system: dict[str, Any] | None, workload: Any, params: dict, seed: int) -> str:
    """Identity of a point: its configuration mapping, workload and seed (the store's key)."""
    body = {"system": system, "workload": workload, "seed": seed}
    if system is None:  # it could not be resolved: the raw assignment is its identity
        body["params"] = params
    text = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def make_task(
    index: int,
    params: dict[str, Any],
    seed: int,
    system_ref: str | dict[str, Any],
    workload_base: dict[str, Any] | str,
    fidelity: str,
) -> Task:
    """One point, identified by its merged configuration (cheap: no validation here).

    The worker validates it, so a value that fails validation is that point's recorded error;
    the parent's time, which on a small machine is taken from the workers, stays per point
    a dictionary merge and a hash. A reference that cannot be read fails here, at once.
    """
    system_ref = params.get(SYSTEM_PARAM, system_ref)
    workload = resolve_workload(workload_base, params)
    try:
        _, system = system_data(system_ref, params)
    except ArchsimError as exc:
        key = config_hash(None, workload, params, seed)
        return Task(key, index, params, seed, error=_one_line(str(exc)))
    key = config_hash(system, workload, params, seed)
    return Task(key, index, params, seed, system_ref, workload, fidelity)


def _one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def flatten(data: Any, prefix: str = "") -> dict[str, float | str | None]:
    """A run report to dotted metric names (lists such as per-op records are left out)."""
    out: dict[str, float | str | None] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if not prefix and key in _NOT_METRICS:
                continue
            out.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, bool):
        out[prefix[:-1]] = float(data)
    elif isinstance(data, int | float):
        out[prefix[:-1]] = float(data) if math.isfinite(data) else None
    elif isinstance(data, str):
        out[prefix[:-1]] = data
    return out


def _op_table(result) -> list[dict[str, Any]]:
    """Per op: FLOPs, bytes and where each side ran it (for the roofline)."""
    wl = result.workload
    rows = []
    for i, op in enumerate(wl.ops):
        moved = sum(op.bytes_read(wl).values()) + sum(op.bytes_written(wl).values())
        rows.append(
            {
                "name": op.name,
                "kind": op.kind,
                "flops": float(op.flops()) * op.repeat,
                "bytes": float(moved) * op.repeat,
                "baseline": result.report.baseline.ops[i].model_dump(),
                "in_memory": result.report.in_memory.ops[i].model_dump(),
            }
        )
    return rows


def worker_id() -> str:
    """Which worker ran a point: host and process (results carry it; the store does not)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_task(task: Task) -> dict[str, Any]:
    """Run one point (in a worker). Never raises for a bad point: the error is the result."""
    result = _run_task(task)
    result["worker"] = worker_id()
    return result


def _run_task(task: Task) -> dict[str, Any]:
    start = time.perf_counter()
    if task.error is not None:
        return {"key": task.key, "status": "failed", "error": task.error, "wall_s": 0.0}
    try:
        from archsim.simulate import simulate
        from archsim.workload.presets import load_workload, workload_from_spec

        kind = point_kind(task.workload)
        if kind is not None:
            system = resolve_system(task.system, task.params)
            return {
                "key": task.key,
                "status": "ok",
                "error": None,
                "metrics": flatten(kind.run_point(system, dict(task.workload), task.seed)),
                "wall_s": time.perf_counter() - start,
            }
        if isinstance(task.workload, dict):
            if task.workload.get("name") == CRASH_NAME:
                os._exit(1)
            workload = workload_from_spec(dict(task.workload), "sweep workload")
        else:
            workload = load_workload(task.workload)
        system = resolve_system(task.system, task.params)
        result = simulate(system, workload, task.seed, task.fidelity)
        report = result.report.model_dump(mode="json")
        return {
            "key": task.key,
            "status": "ok",
            "error": None,
            "metrics": flatten(report),
            "ops": json.dumps(_op_table(result)),
            "wall_s": time.perf_counter() - start,
        }
    except ArchsimError as exc:
        message = _one_line(str(exc))
    except Exception as exc:  # a model bug must not stop the other points; it is recorded
        message = f"{type(exc).__name__}: {_one_line(str(exc))}"
    return {
        "key": task.key,
        "status": "failed",
        "error": message,
        "wall_s": time.perf_counter() - start,
    }


def warm_up(shared: str | None = None) -> None:
    """Prepare a worker: timings shared under ``shared`` (see archsim.engine.memo), and numba
    caches and imports loaded once, so per-point time is the model's alone."""
    from archsim.engine import memo
    from archsim.simulate import simulate

    memo.share(shared)
    from archsim.workload.generators import gemv_workload

    simulate("hbm2-pim", gemv_workload(m=WARM_M, k=WARM_K))


# The smallest GEMV the in-bank PIM maps: enough to touch every compiled kernel once.
WARM_M, WARM_K = 256, 256
