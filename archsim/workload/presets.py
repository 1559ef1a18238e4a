"""Workload presets: a name in ``configs/workloads/`` or a file, to a Workload.

A workload YAML either lists ``tensors`` and ``ops`` (an operator trace), or names a generator
and its arguments::

    generator: llm
    model: llama2-7b
    phase: decode
    batch: 1
    context: 2048
    dtype: fp16

Optional on every generator: ``quantize`` (weights / kv_cache / activations dtypes, group_size)
and ``prune`` (a sparsity such as 0.5 or "2:4", and ``prune_format``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from archsim.config.presets import list_presets, preset_text
from archsim.config.yaml_text import parse_yaml
from archsim.errors import ConfigError
from archsim.workload.formats import read_workload, suffix_format
from archsim.workload.graph import Workload, build_workload
from archsim.workload.specs import SPEC_MODELS, GeneratorSpec, WorkloadPreset, workload_from_spec

__all__ = [
    "SPEC_MODELS", "GeneratorSpec", "WorkloadPreset", "list_workloads", "load_workload",
    "workload_from_spec",
]  # fmt: skip


def list_workloads() -> list[str]:
    return list_presets("workloads")


def load_workload(name_or_path: str | Path, **overrides: Any) -> Workload:
    """A workload preset name, or a YAML / JSONL / Parquet operator-trace file.

    ``overrides`` replace fields of a generator preset (``batch=8``); a trace file takes only
    ``name``.
    """
    text_name = str(name_or_path)
    path = Path(text_name)
    fmt = suffix_format(path)
    if fmt in ("jsonl", "parquet"):
        return _rename(read_workload(path), overrides, text_name)  # "no such file" if missing
    if path.is_file() and fmt != "yaml":
        return _rename(read_workload(path), overrides, text_name)
    label, text = preset_text("workloads", text_name)
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping (a generator, or tensors and ops)")
    if "generator" in data:
        return workload_from_spec({**data, **overrides}, label)
    workload = build_workload(data, label)
    return _rename(workload, overrides, label)


def _rename(workload: Workload, overrides: dict[str, Any], label: str) -> Workload:
    extra = set(overrides) - {"name"}
    if extra:
        raise ConfigError(
            f"{label}: an operator trace takes no overrides but name (got {', '.join(extra)})"
        )
    if "name" in overrides:
        return workload.model_copy(update={"name": overrides["name"]})
    return workload
