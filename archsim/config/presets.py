"""Finding and loading presets (``configs/`` in a source tree, ``archsim.presets`` installed).

A SYSTEM or workload argument is either a preset name or a path to a YAML file; both go through
:func:`load_yaml_model`, which turns YAML and validation problems into one :class:`ConfigError`
naming the file, the field path, and what is allowed.
"""

from __future__ import annotations

import difflib
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from archsim.config.system import SystemConfig
from archsim.config.units import UNITS_REQUIRED
from archsim.config.yaml_text import parse_preset_yaml, parse_yaml, read_text
from archsim.errors import ConfigError

KINDS = ("systems", "workloads", "sweeps", "energy", "tco")
# A section whose `base:` names a preset of its own kind rather than of the file's kind.
_SECTION_KINDS = {"tco": "tco"}
M = TypeVar("M", bound=BaseModel)


def preset_dir(kind: str) -> Traversable | Path:
    """The folder of built-in presets of one kind."""
    try:
        return resources.files("archsim.presets").joinpath(kind)
    except ModuleNotFoundError:
        # Imported straight from a source tree (no install): configs/ sits beside the package.
        return Path(__file__).resolve().parents[2] / "configs" / kind


def list_presets(kind: str) -> list[str]:
    """Names of the built-in presets of ``kind`` (file stems), sorted."""
    folder = preset_dir(kind)
    if not folder.is_dir():
        return []
    return sorted(p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(".yaml"))


def preset_text(kind: str, name: str) -> tuple[str, str]:
    """Return (source label, YAML text) of a preset or a YAML file path."""
    path = Path(name)
    if name.endswith((".yaml", ".yml")) or path.exists():
        return str(path), read_text(path)
    entry = preset_dir(kind).joinpath(f"{name}.yaml")
    if not entry.is_file():
        available = list_presets(kind)
        close = difflib.get_close_matches(name, available, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(
            f"unknown {kind[:-1]} preset {name!r}{hint}; available: {', '.join(available)};"
            " or give a path to a YAML file"
        )
    return f"preset {name}", entry.read_text()


def format_validation_error(error: ValidationError, prefix: str = "") -> str:
    """One line per problem: ``field.path: message``."""
    lines = []
    for item in error.errors():
        loc = [str(p) if isinstance(p, str) else f"[{p}]" for p in item["loc"]]
        message = item["msg"]
        if item["type"] == "value_error":
            message = message.removeprefix("Value error, ")
            # FieldError messages start with the field they are about (see config.base).
            match = re.match(r"^([A-Za-z_][\w.]*): (.*)$", message, re.S)
            if match:
                loc.extend(match.group(1).split("."))
                message = match.group(2)
        elif item["type"] == "extra_forbidden":
            message = "unknown field" + _allowed_fields_hint(error, item["loc"])
        elif item["type"] == "missing":
            message = "required field is missing"
        path = ".".join(p for p in loc if p).replace(".[", "[")
        lines.append(f"  {prefix}{path}: {message}")
    return "\n".join(lines)


def _allowed_fields_hint(error: ValidationError, loc: tuple) -> str:
    model = _model_at(error.title, loc[:-1])
    if model is None:
        return ""
    names = [f.alias or n for n, f in model.model_fields.items()]
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{hint}; allowed: {', '.join(names)}"


_MODELS: dict[str, type[BaseModel]] = {}


def register_root_model(model: type[BaseModel]) -> None:
    """Let error messages list allowed field names for models loaded from YAML."""
    _MODELS[model.__name__] = model


def _model_at(title: str, loc: tuple) -> type[BaseModel] | None:
    model = _MODELS.get(title)
    for part in loc:
        if model is None or not isinstance(part, str):
            return None
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
    return model


def load_yaml_model(model: type[M], kind: str, name: str, overrides: dict | None = None) -> M:
    """Load a preset name or YAML path into ``model``, with errors a user can act on."""
    label, text = preset_text(kind, name)
    try:
        data = parse_preset_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{label}{where}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping of fields at the top level")
    data = _resolve_bases(data, kind, label)
    if overrides:
        data = _merge(data, overrides)
    try:
        return model.model_validate(data, context={UNITS_REQUIRED: True})
    except ValidationError as exc:
        details = format_validation_error(exc)
        raise ConfigError(f"{label}: invalid configuration\n{details}") from None


# Sections that take their ``base`` from another section of the named preset.
_SECTION_ALIASES = {"pim_memory": "memory"}


def _resolve_bases(data: dict, kind: str, label: str) -> dict:
    """A section ``{base: PRESET, ...}`` starts from that preset's section, then overrides it.

    Systems use it to build on a memory preset (``memory: {base: hbm2, organization:
    {stacks: 4}}``) instead of copying its timing table.
    """
    out = dict(data)
    for key, value in data.items():
        if isinstance(value, dict) and "base" in value:
            name = value["base"]
            if not isinstance(name, str):
                raise ConfigError(f"{label}: {key}.base: expected a preset name, got {name!r}")
            try:
                _, text = preset_text(_SECTION_KINDS.get(key, kind), name)
            except ConfigError as exc:
                raise ConfigError(f"{label}: {key}.base: {exc}") from None
            base_data = parse_preset_yaml(text)
            section = _SECTION_ALIASES.get(key, key)
            if not isinstance(base_data, dict) or section not in base_data:
                raise ConfigError(f"{label}: {key}.base {name!r} has no {section!r} section")
            rest = {k: v for k, v in value.items() if k != "base"}
            out[key] = _merge(base_data[section], rest)
    return out


def _merge(base: dict, overrides: dict) -> dict:
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


register_root_model(SystemConfig)


def parse_assignments(assignments: list[str]) -> dict:
    """``["memory.organization.stacks=10", ...]`` to a nested override dict (values as YAML)."""
    out: dict = {}
    for item in assignments:
        path, sep, text = item.partition("=")
        if not sep or not path.strip():
            raise ConfigError(f"--set {item!r}: write it as dotted.path=value")
        try:
            value = parse_yaml(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {item!r}: the value is not valid YAML ({exc})") from None
        node = out
        keys = path.strip().split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {item!r}: {key} is set to a value and a section")
        node[keys[-1]] = value
    return out


def load_system(name: str, overrides: dict | None = None) -> SystemConfig:
    """A system preset name (see ``archsim presets``) or a path to a system YAML file."""
    return load_yaml_model(SystemConfig, "systems", name, overrides)
