"""A workload: a DAG of operators over named tensors, and its exact totals.

Repeated layers are stored once: an op with ``repeat = r`` runs r times, and a tensor no op
produces (weight, input, KV cache) with ``copies = r`` has r distinct instances, one per
repetition. A tensor an op produces has one instance per execution of its producer. Totals are
what the unrolled graph would give, computed without unrolling.

Checks (each error names the ops and tensors involved): unique op names; every tensor an op
names is declared; every declared tensor is used; activations and outputs have exactly one
producer, weights, inputs and KV caches none; the ops are listed in a topological order (a cycle
is reported as such); operator dimensions agree with tensor shapes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import Field, ValidationError, model_validator

from archsim.config.base import Model
from archsim.errors import ConfigError
from archsim.workload.ops import WEIGHT_OPERAND, Op, OpBase
from archsim.workload.tensor import Tensor

SOURCE_ROLES = ("weight", "input", "kv_cache")
ACTIVATION_ROLES = ("activation", "input", "output")


class WorkloadTotals(Model):
    """Exact totals over every execution of every op (``repeat``) and every tensor instance."""

    params: int = Field(description="weight elements (dense count)")
    macs: int
    flops: int
    weight_bytes: int = Field(description="weights as stored (compressed, with scales)")
    activation_bytes: int = Field(
        description="activation, input and output tensors: every instance written or supplied"
    )
    kv_cache_bytes: int = Field(description="KV cache footprint after the workload ran")


class Workload(Model):
    """An operator trace: tensors by name and ops in topological order."""

    name: str = Field(min_length=1)
    tensors: dict[str, Tensor]
    ops: list[Op] = Field(min_length=1)
    notes: list[str] = Field(default_factory=list, description="provenance, skipped ops, ...")

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        tensors = data.get("tensors")
        if isinstance(tensors, list):
            named = {}
            for i, t in enumerate(tensors):
                name = t.name if isinstance(t, Tensor) else (t or {}).get("name")
                if not name:
                    raise ValueError(f"tensors[{i}]: a tensor in a list needs a name")
                if name in named:
                    raise ValueError(f"tensors: {name!r} is declared twice")
                named[name] = t
            tensors = named
        if isinstance(tensors, dict):
            fixed = {}
            for key, t in tensors.items():
                if isinstance(t, dict):
                    if t.get("name", key) != key:
                        raise ValueError(f"tensors: key {key!r} holds a tensor named {t['name']!r}")
                    t = {**t, "name": key}
                fixed[key] = t
            data["tensors"] = tensors = fixed
            ops = data.get("ops")
            if isinstance(ops, list):
                data["ops"] = [_fill_weight_nonzeros(op, tensors) for op in ops]
        return data

    @model_validator(mode="after")
    def _graph(self) -> Workload:
        problems = _graph_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- queries -------------------------------------------------------------------------------

    def producers(self) -> dict[str, OpBase]:
        return {out: op for op in self.ops for out in op.outputs}

    def instances(self, tensor: str, producers: dict[str, OpBase] | None = None) -> int:
        """Distinct instances of a tensor over the run (see the module docstring)."""
        producers = self.producers() if producers is None else producers
        op = producers.get(tensor)
        return op.repeat if op is not None else self.tensors[tensor].copies

    def totals(self) -> WorkloadTotals:
        producers = self.producers()
        params = weight = act = kv = 0
        for name, t in self.tensors.items():
            n = self.instances(name, producers)
            if t.role == "weight":
                params += t.elements * n
                weight += t.stored_bytes * n
            elif t.role == "kv_cache":
                kv += t.stored_bytes * n
            else:
                op = producers.get(name)
                if op is not None and getattr(op, "op", None) == "view":
                    continue  # a view aliases its input's memory
                act += t.stored_bytes * n
        return WorkloadTotals(
            params=params,
            macs=sum(op.macs() * op.repeat for op in self.ops),
            flops=sum(op.flops() * op.repeat for op in self.ops),
            weight_bytes=weight,
            activation_bytes=act,
            kv_cache_bytes=kv,
        )


def _fill_weight_nonzeros(op: Any, tensors: dict) -> Any:
    """Carry a sparse weight's non-zero count onto the op, so ``macs()`` needs no workload."""
    kind = op.kind if isinstance(op, OpBase) else (op.get("kind") if isinstance(op, dict) else None)
    index = WEIGHT_OPERAND.get(kind)
    if index is None:
        return op
    inputs = op.inputs if isinstance(op, OpBase) else op.get("inputs")
    if not isinstance(inputs, list) or len(inputs) <= index:
        return op
    given = op.weight_nonzeros if isinstance(op, OpBase) else op.get("weight_nonzeros")
    if given is not None:
        return op
    raw = tensors.get(inputs[index])
    if raw is None:
        return op
    try:
        tensor = raw if isinstance(raw, Tensor) else Tensor.model_validate(raw)
    except ValidationError:
        return op  # reported by the tensor's own validation
    if tensor.sparsity is None or tensor.role != "weight":
        return op
    if isinstance(op, OpBase):
        return op.model_copy(update={"weight_nonzeros": tensor.nonzeros})
    return {**op, "weight_nonzeros": tensor.nonzeros}


def _label(op: OpBase) -> str:
    return f"op {op.name!r} ({op.kind})"


def _graph_problems(w: Workload) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, op in enumerate(w.ops):
        if op.name in seen:
            problems.append(
                f"ops[{i}]: op name {op.name!r} is already used by ops[{seen[op.name]}]"
            )
        seen.setdefault(op.name, i)

    producer: dict[str, OpBase] = {}
    used: set[str] = set()
    missing = False
    for op in w.ops:
        problems.extend(f"{_label(op)}: {field}: {msg}" for field, msg in op._arity())
        for field, names in (("inputs", op.inputs), ("outputs", op.outputs)):
            for j, name in enumerate(names):
                used.add(name)
                if name not in w.tensors:
                    missing = True
                    problems.append(
                        f"{_label(op)}: {field}[{j}] names tensor {name!r}, which is not declared"
                        " (dangling tensor)"
                    )
        for j, name in enumerate(op.outputs):
            if name in op.inputs:
                problems.append(f"{_label(op)}: outputs[{j}] {name!r} is also one of its inputs")
            elif name in producer:
                problems.append(
                    f"{_label(op)}: outputs[{j}] {name!r} is already produced by"
                    f" {_label(producer[name])}"
                )
            else:
                producer[name] = op
    for name in w.tensors:
        if name not in used:
            problems.append(f"tensor {name!r} is declared but no op uses it (dangling tensor)")
    if problems and missing:
        return problems

    for name, op in producer.items():
        t = w.tensors.get(name)
        if t is None:
            continue
        if t.role in SOURCE_ROLES:
            problems.append(
                f"{_label(op)}: writes {name!r}, a {t.role} tensor; weights, inputs and KV caches"
                " come from outside the graph (use role activation or output)"
            )
        elif t.copies != 1:
            problems.append(
                f"tensor {name!r}: copies is implied by the repeat of its producer {_label(op)};"
                " leave it at 1"
            )
    for op in w.ops:
        for j, name in enumerate(op.inputs):
            t = w.tensors.get(name)
            if t is None:
                continue
            if name not in producer and t.role not in SOURCE_ROLES:
                problems.append(
                    f"{_label(op)}: inputs[{j}] {name!r} is an {t.role} tensor that no op produces"
                    " (dangling tensor); give it role input, or add the op that produces it"
                )
            if name not in producer and t.copies > 1 and op.repeat != t.copies:
                problems.append(
                    f"{_label(op)}: repeat {op.repeat} does not match the {t.copies} copies of"
                    f" {name!r}; each repetition uses its own instance"
                )
    problems.extend(_order_problems(w, producer))
    if problems:
        return problems
    for op in w.ops:
        problems.extend(f"{_label(op)}: {field}: {msg}" for field, msg in op.check(w.tensors))
    return problems


def _order_problems(w: Workload, producer: dict[str, OpBase]) -> list[str]:
    position = {op.name: i for i, op in enumerate(w.ops)}
    late: list[str] = []
    deps: dict[str, set[str]] = defaultdict(set)
    for op in w.ops:
        for name in op.inputs:
            src = producer.get(name)
            if src is None:
                continue
            deps[op.name].add(src.name)
            if position[src.name] >= position[op.name]:
                late.append(f"{_label(op)} reads {name!r} before {_label(src)} produces it")
    if not late:
        return []
    cycle = _find_cycle(deps)
    if cycle:
        return ["cyclic dependency: " + " -> ".join(repr(n) for n in cycle)]
    return [p + "; list the ops in a topological order" for p in late]


def _find_cycle(deps: dict[str, set[str]]) -> list[str] | None:
    """One cycle in the op dependency graph, as op names, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(deps.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt][::-1]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(deps):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def format_errors(exc: ValidationError, data: Any = None) -> str:
    """Validation errors as ``path: message`` lines, ops named by their ``name``."""
    lines = []
    ops = data.get("ops") if isinstance(data, dict) else None
    for item in exc.errors():
        loc = list(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required field is missing"
        parts: list[str] = []
        i = 0
        while i < len(loc):
            part = loc[i]
            if part == "ops" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
                index = loc[i + 1]
                label = f"ops[{index}]"
                if isinstance(ops, list) and index < len(ops) and isinstance(ops[index], dict):
                    raw = ops[index]
                    label += f" {raw.get('name', '?')!r} ({raw.get('kind', '?')})"
                parts.append(label)
                i += 2
                if i < len(loc) and isinstance(ops, list) and loc[i] in _KIND_TAGS:
                    i += 1  # the discriminator tag pydantic inserts
                continue
            parts.append(f"[{part}]" if isinstance(part, int) else str(part))
            i += 1
        path = ".".join(parts).replace(".[", "[")
        for text in message.splitlines():
            lines.append(f"  {path}: {text}" if path else f"  {text}")
    return "\n".join(lines)


def _kind_tags() -> set[str]:
    from archsim.workload.ops import OP_KINDS

    return set(OP_KINDS)


_KIND_TAGS = _kind_tags()


def build_workload(data: Any, label: str = "workload") -> Workload:
    """Validate a mapping into a Workload; problems become one ConfigError naming each op."""
    try:
        return Workload.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{label}: invalid workload\n{format_errors(exc, data)}") from None
