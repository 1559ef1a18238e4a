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

from abc import abstractmethod
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError

from archsim.config.base import Model
from archsim.config.presets import format_validation_error, list_presets, preset_text
from archsim.config.yaml_text import parse_yaml
from archsim.errors import ConfigError
from archsim.workload.graph import Workload, build_workload
from archsim.workload.tensor import DType


class QuantizeSpec(Model):
    weights: DType | None = None
    kv_cache: DType | None = None
    activations: DType | None = None
    group_size: int | None = Field(None, ge=1)


class _Spec(Model):
    description: str = ""
    name: str | None = None
    quantize: QuantizeSpec | None = None
    prune: float | str | None = None
    prune_format: Literal["bitmap", "csr"] = "bitmap"

    @abstractmethod
    def generate(self) -> Workload:
        """The workload this spec describes (each generator kind implements it)."""

    def args(self, *skip: str) -> dict[str, Any]:
        common = {"generator", "description", "quantize", "prune", "prune_format", *skip}
        return {k: getattr(self, k) for k in type(self).model_fields if k not in common}


class GemmSpec(_Spec):
    generator: Literal["gemm"]
    m: int
    n: int
    k: int
    batch: int = 1
    dtype: DType = "fp16"
    weight_dtype: DType | None = None
    sparsity: float | str | None = None
    bias: bool = False

    def generate(self) -> Workload:
        from archsim.workload.generators import gemm_workload

        return gemm_workload(**self.args())


class GemvSpec(_Spec):
    generator: Literal["gemv"]
    m: int
    k: int
    batch: int = 1
    dtype: DType = "fp16"
    weight_dtype: DType | None = None
    sparsity: float | str | None = None
    bias: bool = False

    def generate(self) -> Workload:
        from archsim.workload.generators import gemv_workload

        return gemv_workload(**self.args())


class ConvSpec(_Spec):
    generator: Literal["conv"]
    in_channels: int
    out_channels: int
    height: int
    width: int | None = None
    kernel: int = 3
    stride: int = 1
    padding: int | None = None
    groups: int = 1
    dilation: int = 1
    batch: int = 1
    dtype: DType = "fp16"
    weight_dtype: DType | None = None
    sparsity: float | str | None = None
    bias: bool = False

    def generate(self) -> Workload:
        from archsim.workload.generators import conv_workload

        return conv_workload(**self.args())


class AttentionSpec(_Spec):
    generator: Literal["attention"]
    heads: int
    head_dim: int
    q_len: int
    kv_len: int | None = None
    kv_heads: int | None = None
    batch: int = 1
    causal: bool = False
    cache_len: int = 0
    dtype: DType = "fp16"
    kv_dtype: DType | None = None

    def generate(self) -> Workload:
        from archsim.workload.generators import attention_workload

        return attention_workload(**self.args())


class LlmSpec(_Spec):
    generator: Literal["llm"]
    model: str
    phase: Literal["prefill", "decode"] = "decode"
    batch: int = 1
    context: int = 2048
    tokens: int | None = None
    dtype: DType = "fp16"
    weight_dtype: DType | None = None
    kv_dtype: DType | None = None

    def generate(self) -> Workload:
        from archsim.workload.transformer import llm_workload

        return llm_workload(**self.args())


class EncoderSpec(_Spec):
    generator: Literal["encoder"]
    model: str
    batch: int = 1
    seq: int = 128
    image: int | None = None
    dtype: DType = "fp16"
    weight_dtype: DType | None = None

    def generate(self) -> Workload:
        from archsim.workload.transformer import encoder_workload

        return encoder_workload(**self.args())


class CnnSpec(_Spec):
    generator: Literal["cnn"]
    model: str
    batch: int = 1
    image: int = 224
    dtype: DType = "fp16"
    weight_dtype: DType | None = None

    def generate(self) -> Workload:
        from archsim.workload.cnn import cnn_workload

        return cnn_workload(**self.args())


class SolveSpec(_Spec):
    generator: Literal["solve"]
    n: int
    matrix_kind: Literal["spd", "diagonally-dominant", "covariance", "toeplitz", "kalman"] = "spd"
    rhs: int = 1
    tolerance: float = 1e-6
    seed: int = 0
    condition: float | None = None
    dtype: DType = "fp32"

    def generate(self) -> Workload:
        from archsim.workload.solvers import solve_workload

        return solve_workload(**self.args())


class RegressionSpec(_Spec):
    generator: Literal["regression"]
    samples: int
    features: int
    ridge: float = 0.0
    matrix_kind: Literal["gaussian", "correlated"] = "gaussian"
    tolerance: float = 1e-6
    seed: int = 0
    dtype: DType = "fp32"

    def generate(self) -> Workload:
        from archsim.workload.solvers import regression_workload

        return regression_workload(**self.args())


class PagerankSpec(_Spec):
    generator: Literal["pagerank"]
    nodes: int
    damping: float = 0.85
    degree: int = 8
    tolerance: float = 1e-6
    seed: int = 0
    dtype: DType = "fp32"

    def generate(self) -> Workload:
        from archsim.workload.solvers import pagerank_workload

        return pagerank_workload(**self.args())


class KalmanSpec(_Spec):
    generator: Literal["kalman"]
    states: int
    measurements: int
    tolerance: float = 1e-6
    seed: int = 0
    dtype: DType = "fp32"

    def generate(self) -> Workload:
        from archsim.workload.solvers import kalman_workload

        return kalman_workload(**self.args())


GeneratorSpec = Annotated[
    GemmSpec
    | GemvSpec
    | ConvSpec
    | AttentionSpec
    | LlmSpec
    | EncoderSpec
    | CnnSpec
    | SolveSpec
    | RegressionSpec
    | PagerankSpec
    | KalmanSpec,
    Field(discriminator="generator"),
]
GENERATORS = (
    "gemm", "gemv", "conv", "attention", "llm", "encoder", "cnn", "solve", "regression",
    "pagerank", "kalman",
)  # fmt: skip


class WorkloadPreset(Model):
    """Root model of a generator-style workload YAML."""

    spec: GeneratorSpec


def workload_from_spec(data: dict[str, Any], label: str = "workload") -> Workload:
    """Run the generator a preset mapping names; errors name the field."""
    generator = data.get("generator")
    if generator not in GENERATORS:
        raise ConfigError(
            f"{label}: generator: {generator!r} is not one of {', '.join(GENERATORS)}"
        )
    try:
        spec = WorkloadPreset.model_validate({"spec": data}).spec
    except ValidationError as exc:
        details = format_validation_error(exc).replace(f"spec.{generator}.", "")
        raise ConfigError(f"{label}: invalid workload preset\n{details}") from None
    try:
        workload = spec.generate()
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}") from None
    if spec.prune is not None:
        from archsim.workload.quantize import prune

        workload = prune(workload, spec.prune, spec.prune_format)
    if spec.quantize is not None:
        from archsim.workload.quantize import quantize

        workload = quantize(workload, **spec.quantize.model_dump())
    return workload


def list_workloads() -> list[str]:
    return list_presets("workloads")


def load_workload(name_or_path: str | Path, **overrides: Any) -> Workload:
    """A workload preset name, or a YAML / JSONL / Parquet operator-trace file.

    ``overrides`` replace fields of a generator preset (``batch=8``); a trace file takes only
    ``name``.
    """
    from archsim.workload.formats import read_workload, suffix_format

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
