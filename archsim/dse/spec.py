"""A sweep spec (``configs/sweeps/*.yaml``): a base system and workload, parameters, a method.

Parameters are dotted paths into the system config (``pim.lanes``), ``workload.<field>`` of a
generator workload (``workload.context``), ``system`` itself (a list of system presets) or
``workload`` itself (a list of workload presets or inline generator mappings).
Each is a list, a range, or a distribution; every random draw comes from a generator seeded by
the spec, never by the worker, so the points are the same whichever executor runs them.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import Field, ValidationError, model_validator

from archsim.config.base import FieldError, Model
from archsim.config.presets import format_validation_error, preset_text
from archsim.config.yaml_text import parse_preset_yaml, parse_yaml
from archsim.dse.paths import SYSTEM_PATHS, check_path, workload_paths
from archsim.dse.point import point_kind
from archsim.errors import ArchsimError, ConfigError
from archsim.limits import check_points

Scalar = int | float | str | bool


class Range(Model):
    """Evenly spaced values from ``start`` up to and including ``stop``."""

    start: float = Field(allow_inf_nan=False)
    stop: float = Field(allow_inf_nan=False)
    step: float = Field(gt=0, allow_inf_nan=False)

    def __len__(self) -> int:
        return max(math.floor((self.stop - self.start) / self.step + 1e-9) + 1, 0)

    def values(self) -> list[Scalar]:
        check_points(len(self), "range")
        n = len(self)
        whole = all(float(v).is_integer() for v in (self.start, self.stop, self.step))
        vals = [self.start + i * self.step for i in range(max(n, 0))]
        return [int(v) for v in vals] if whole else [round(v, 12) for v in vals]


class Distribution(Model):
    """Values drawn from a seeded generator: ``count`` of them for a grid axis."""

    dist: Literal["uniform", "loguniform", "choice"]
    low: float | None = Field(None, allow_inf_nan=False)
    high: float | None = Field(None, allow_inf_nan=False)
    choices: list[Scalar] | None = None
    count: int = Field(1, ge=1, description="values drawn for a grid axis")
    integer: bool = Field(False, description="round draws to integers")

    @model_validator(mode="after")
    def _bounds(self) -> Distribution:
        if self.dist == "choice":
            if not self.choices:
                raise FieldError("choices", "a choice distribution needs a non-empty list")
        elif self.low is None or self.high is None or self.low >= self.high:
            raise FieldError("low", f"{self.dist} needs low < high")
        elif self.dist == "loguniform" and self.low <= 0:
            raise FieldError("low", "loguniform needs low > 0")
        return self

    def draw(self, rng: np.random.Generator) -> Scalar:
        if self.dist == "choice":
            assert self.choices is not None
            return self.choices[int(rng.integers(len(self.choices)))]
        assert self.low is not None and self.high is not None
        if self.dist == "uniform":
            value = float(rng.uniform(self.low, self.high))
        else:
            value = float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return round(value) if self.integer else value


# A list may hold mappings too: values of the `workload` parameter (inline generators).
Domain = list[Scalar | dict[str, Any]] | Range | Distribution


class Objective(Model):
    metric: str = Field(description="a metric column, e.g. comparison.speedup")
    goal: Literal["min", "max"] = "min"


class ReportSettings(Model):
    """What ``archsim report`` (and ``archsim sweep --plot``) shows by default for this sweep."""

    pareto: str | None = Field(
        None, description="two metrics X,Y, each optionally :min or :max (as --pareto)"
    )
    metric: str | None = Field(None, description="metric of the sensitivity figure (as --metric)")

    @model_validator(mode="after")
    def _two_axes(self) -> ReportSettings:
        if self.pareto is not None:
            parts = [p.strip() for p in self.pareto.split(",")]
            goals = [p.partition(":")[2] or "min" for p in parts]
            if len(parts) != 2 or not all(parts) or any(g not in ("min", "max") for g in goals):
                raise FieldError("pareto", "write two metrics, X,Y, each optionally :min or :max")
        return self


class SweepSpec(Model):
    """Root model of a sweep YAML."""

    name: str
    description: str = ""
    system: str | dict[str, Any] = Field(description="system preset, YAML path, or inline mapping")
    workload: str | dict[str, Any] = Field(description="workload preset, path, or inline generator")
    seeds: list[Annotated[int, Field(ge=0, lt=2**63)]] = Field(
        default_factory=lambda: [0], min_length=1
    )
    method: Literal["grid", "random", "optuna"] = "grid"
    samples: int | None = Field(None, ge=1, description="points (random) or trials (optuna)")
    batch: int = Field(8, ge=1, description="optuna trials asked per round (fixed: determinism)")
    seed: int = Field(0, description="seed of every draw made to choose points")
    fidelity: Literal["fast", "full"] = "fast"
    parameters: dict[str, Domain] = Field(default_factory=dict)
    objectives: list[Objective] = Field(default_factory=list)
    report: ReportSettings = Field(default_factory=ReportSettings)

    @model_validator(mode="after")
    def _method_needs(self) -> SweepSpec:
        for path, domain in self.parameters.items():
            if isinstance(domain, list) and not domain:
                raise FieldError(f"parameters.{path}", "an empty list gives no points")
            if isinstance(domain, Range) and len(domain) == 0:
                raise FieldError(f"parameters.{path}", "the range holds no value (stop < start)")
        if self.method == "optuna":
            for path, domain in self.parameters.items():
                if isinstance(domain, list) and any(isinstance(v, dict) for v in domain):
                    raise FieldError(
                        f"parameters.{path}", "optuna chooses among names and numbers, not mappings"
                    )
        if self.method in ("random", "optuna") and self.samples is None:
            raise FieldError("samples", f"method {self.method} needs the number of samples")
        if self.method == "optuna" and not self.objectives:
            raise FieldError("objectives", "optuna search needs at least one objective")
        try:
            check_points(self.point_count(), "the sweep")
        except ArchsimError as exc:  # a field error, so the message names the file
            raise FieldError("parameters", str(exc)) from None
        return self

    def point_count(self) -> int:
        """Points x seeds, counted without listing them (a typo must not allocate 10^12)."""
        if self.method == "grid":
            count = 1
            for domain in self.parameters.values():
                count *= domain.count if isinstance(domain, Distribution) else len(domain)
        else:
            count = self.samples or 0
        return count * len(self.seeds)

    # The base directory of relative YAML paths (set by load_sweep; not a field).
    _base: Path | None = None

    def workload_data(self, workload: str | dict[str, Any] | None = None) -> dict[str, Any] | str:
        """The workload (the spec's, or ``workload``) as a generator mapping when it is one,
        else the preset name / path."""
        workload = self.workload if workload is None else workload
        if isinstance(workload, dict):
            return dict(workload)
        name = self._resolve(workload)
        if name.endswith((".jsonl", ".parquet")):
            return name
        _, text = preset_text("workloads", name)
        data = parse_preset_yaml(text)
        if isinstance(data, dict) and "generator" in data:
            return data
        return name

    def system_ref(self) -> str | dict[str, Any]:
        return self._resolve(self.system) if isinstance(self.system, str) else dict(self.system)

    def _resolve(self, name: str) -> str:
        if self._base is not None and name.endswith((".yaml", ".yml", ".jsonl", ".parquet")):
            candidate = self._base / name
            if candidate.is_file():
                return str(candidate)
        return name

    def check_paths(self) -> None:
        """Every parameter path must exist in the system config or the workload generator, and
        every system it names must exist (checked here, not found failing at every point)."""
        systems = [self.system] if isinstance(self.system, str) else []
        listed_systems = self.parameters.get("system")
        if isinstance(listed_systems, list):
            systems += [s for s in listed_systems if isinstance(s, str)]
        for name in systems:
            try:
                preset_text("systems", self._resolve(name))
            except ConfigError as exc:
                raise ConfigError(f"system: {exc}") from None
        listed = self.parameters.get("workload")
        if listed is not None and not isinstance(listed, list):
            raise ConfigError("parameters.workload: give a list of workloads (presets or mappings)")
        # The base workload, or every workload the `workload` parameter lists.
        workloads = [self.workload_data(w) for w in listed] if listed else [self.workload_data()]
        for path in self.parameters:
            if path in ("system", "workload"):
                continue  # base system or workload itself: resolved per point
            if path.startswith("workload."):
                traces = [w for w in workloads if not isinstance(w, dict)]
                if traces:
                    raise ConfigError(
                        f"parameters.{path}: workload {traces[0]!r} is an operator trace;"
                        " only generator workloads take workload.<field> parameters"
                    )
                fields: dict[str, bool] = {}
                for w in workloads:  # all generator mappings here: traces were refused above
                    kind = point_kind(w)  # a serve point (dse.point.POINT_KINDS)
                    if kind is not None:
                        fields.update(kind.paths())
                        continue
                    fields.update(workload_paths(str(w.get("generator"))))
                check_path(path, fields, "workload field")
            else:
                check_path(path, SYSTEM_PATHS, "system field")
        for objective in self.objectives:
            if objective.metric in self.parameters:
                raise ConfigError(f"objectives: {objective.metric!r} is a parameter, not a metric")

    def axis(self, path: str) -> list[Scalar]:
        """The values of one parameter on a grid (distributions drawn with a per-path seed)."""
        domain = self.parameters[path]
        if isinstance(domain, list):
            return list(domain)
        if isinstance(domain, Range):
            return domain.values()
        rng = np.random.default_rng([self.seed, _stable(path)])
        return [domain.draw(rng) for _ in range(domain.count)]

    def points(self) -> list[dict[str, Scalar]]:
        """Parameter assignments for grid and random (optuna proposes its own, see search)."""
        names = list(self.parameters)
        if self.method == "grid":
            axes = [self.axis(p) for p in names]
            return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]
        if self.method == "random":
            assert self.samples is not None
            rng = np.random.default_rng(self.seed)
            out = []
            for _ in range(self.samples):
                point = {}
                for p in names:
                    domain = self.parameters[p]
                    if isinstance(domain, Distribution):
                        point[p] = domain.draw(rng)
                    else:
                        values = self.axis(p)
                        point[p] = values[int(rng.integers(len(values)))]
                out.append(point)
            return out
        raise ConfigError("optuna points are proposed during the search, not listed up front")


def _non_finite(value: Any, path: str) -> tuple[str, float] | None:
    """The first NaN or infinity in a parameters mapping (pydantic's union errors buried it)."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    if isinstance(value, dict):
        for k, v in value.items():
            found = _non_finite(v, f"{path}.{k}")
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _non_finite(v, f"{path}[{i}]")
            if found:
                return found
    return None


def _stable(text: str) -> int:
    """A hash of a string that is the same in every process (Python's hash() is salted)."""
    import hashlib

    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def load_sweep(name: str) -> SweepSpec:
    """A sweep preset name (``archsim presets``) or a path to a sweep YAML."""
    label, text = preset_text("sweeps", name)
    if not text.strip():
        raise ConfigError(f"{label}: the file is empty")
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{label}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping of fields at the top level")
    bad = _non_finite(data.get("parameters"), "parameters")
    if bad is not None:
        raise ConfigError(f"{label}: {bad[0]}: {bad[1]!r} is not a finite number")
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{label}: invalid sweep\n{format_validation_error(exc)}") from None
    path = Path(name)
    base = path.resolve().parent if path.is_file() else None
    spec._base = base
    try:
        spec.check_paths()
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}") from None
    return spec
