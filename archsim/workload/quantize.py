"""Quantization and pruning passes: change what moves (bytes) and what computes (MACs).

* :func:`quantize` changes number formats by role: int8/int4/fp8 weights shrink
  ``weight_bytes`` (plus one fp16 scale per ``group_size`` elements when given); a narrower KV
  cache shrinks ``kv_cache_bytes``.
* :func:`prune` makes the weight operand of every GEMM, GEMV and convolution sparse
  (unstructured ratio or N:M). MACs drop to rows x non-zeros; bytes drop to the compressed
  size, index overhead included (see :mod:`archsim.workload.tensor`).

Both return a new, validated Workload; the input is unchanged (workloads are immutable).
"""

from __future__ import annotations

from archsim.errors import ConfigError
from archsim.workload.graph import WEIGHT_OPERAND, Workload, build_workload
from archsim.workload.tensor import DTYPES, NMSparsity, Tensor

QUANTIZED = ("int8", "int4", "fp8")


def _check_dtype(field: str, value: str | None) -> None:
    if value is not None and value not in DTYPES:
        raise ConfigError(f"{field}: {value!r} is not one of {', '.join(DTYPES)}")


def _rebuild(
    workload: Workload, tensors: dict[str, Tensor], notes: list[str], name: str | None, ops=None
) -> Workload:
    data = {
        "name": name or workload.name,
        "tensors": tensors,
        "ops": workload.ops if ops is None else ops,
        "notes": [*workload.notes, *notes],
    }
    return build_workload(data, data["name"])


def quantize(
    workload: Workload,
    weights: str | None = None,
    kv_cache: str | None = None,
    activations: str | None = None,
    group_size: int | None = None,
    name: str | None = None,
) -> Workload:
    """Set the dtype of every weight / KV-cache / activation tensor (None leaves it)."""
    for field, value in (("weights", weights), ("kv_cache", kv_cache),
                         ("activations", activations)):  # fmt: skip
        _check_dtype(field, value)
    if group_size is not None and group_size < 1:
        raise ConfigError(f"group_size: must be at least 1, got {group_size}")
    by_role = {"weight": weights, "kv_cache": kv_cache}
    tensors = {}
    for key, t in workload.tensors.items():
        dtype = by_role.get(t.role, activations)
        if dtype is None:
            tensors[key] = t
            continue
        update: dict = {"dtype": dtype}
        if t.role == "weight":
            update["quant_group"] = group_size if dtype in QUANTIZED else None
        tensors[key] = t.model_copy(update=update)
    parts = [f"{r} {d}" for r, d in (("weights", weights), ("KV cache", kv_cache),
                                     ("activations", activations)) if d]  # fmt: skip
    group = f", groups of {group_size}" if group_size else ""
    return _rebuild(workload, tensors, [f"quantized: {', '.join(parts)}{group}"], name)


def prune(
    workload: Workload,
    sparsity: float | str,
    format: str = "bitmap",
    name: str | None = None,
) -> Workload:
    """Make every GEMM/GEMV/conv weight operand sparse: a ratio such as 0.5, or "2:4"."""
    from pydantic import TypeAdapter, ValidationError

    from archsim.workload.tensor import Sparsity

    try:
        spec = TypeAdapter(Sparsity).validate_python(sparsity)
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigError(f"sparsity: {msg}") from None
    if not isinstance(spec, NMSparsity):
        if format not in ("bitmap", "csr"):
            raise ConfigError(f"format: must be bitmap or csr, not {format!r}")
        spec = spec.model_copy(update={"format": format})
    targets = {
        op.inputs[WEIGHT_OPERAND[op.kind]]
        for op in workload.ops
        if op.kind in WEIGHT_OPERAND and len(op.inputs) > WEIGHT_OPERAND[op.kind]
    }
    tensors, skipped = {}, []
    for key, t in workload.tensors.items():
        if key in targets and t.role == "weight":
            if isinstance(spec, NMSparsity) and t.shape[-1] % spec.m:
                skipped.append(key)
                tensors[key] = t
            else:
                tensors[key] = t.model_copy(update={"sparsity": spec})
        else:
            tensors[key] = t
    # Clear the ops' non-zero counts; the workload fills them in from the new tensors.
    ops = [
        op.model_copy(update={"weight_nonzeros": None}) if op.kind in WEIGHT_OPERAND else op
        for op in workload.ops
    ]
    label = sparsity if isinstance(sparsity, str) else f"{sparsity:g} unstructured ({format})"
    notes = [f"pruned: {label}"]
    if skipped:
        notes.append(f"not pruned (last dimension not a multiple of M): {', '.join(skipped)}")
    return _rebuild(workload, tensors, notes, name, ops)
