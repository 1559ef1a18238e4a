"""Tensor parallelism: one device's shard of a workload, and the collectives it needs.

Megatron-LM's split (Shoeybi et al., 2019), found from the graph rather than from op names: a
linear op whose activation input is whole is *column-parallel* (each device computes
``1/t`` of its output features, so its output is sharded); a linear op whose activation input is
sharded is *row-parallel* (each device holds ``1/t`` of the reduction dimension and produces a
partial sum of the whole output, which a ring all-reduce completes). Attention over sharded
Q/K/V splits its heads (with grouped-query attention, KV heads split too, or are replicated
when there are fewer KV heads than devices, as Megatron does); element-wise work on sharded
inputs is sharded; norms, embeddings and everything on whole tensors are replicated. A sharded
tensor that leaves the graph is all-gathered.

Devices of a tensor-parallel group run identical shards at the same time, so the engine runs
one device's shard and the collectives; totals (energy, bytes, FLOPs) are that times ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass

from archsim.errors import ConfigError
from archsim.workload.graph import Workload, build_workload

_LINEAR = ("gemv", "gemm")


@dataclass(frozen=True)
class Collective:
    """A collective on the output of op ``after`` (bytes of the whole tensor per device)."""

    name: str
    after: str
    kind: str  # "all-reduce" or "all-gather"
    tensor: str
    nbytes: float
    repeat: int


def _weight_and_activation(op, tensors) -> tuple[str | None, str | None]:
    weight = next((t for t in op.inputs if tensors[t].role == "weight"), None)
    act = next((t for t in op.inputs if tensors[t].role != "weight" and t != weight), None)
    return weight, act


def _div(value: int, by: int, what: str) -> int:
    if value % by:
        raise ConfigError(
            f"field 'parallel.tensor': {by} devices do not divide {what} ({value}); choose a"
            " tensor-parallel degree that divides it"
        )
    return value // by


def _shrink(tensor, axis: int, new: int):
    shape = list(tensor.shape)
    shape[axis] = new
    return tensor.model_copy(update={"shape": tuple(shape)})


def shard(workload: Workload, tp: int) -> tuple[Workload, list[Collective]]:
    """One device's shard of ``workload`` over ``tp`` tensor-parallel devices."""
    if tp == 1:
        return workload, []
    tensors = dict(workload.tensors)
    sharded: set[str] = set()
    per_device: dict[str, int] = {}  # last-dim size on one device, for K/V of replicated heads
    ops = []
    collectives: list[Collective] = []

    def split_last(name: str, size: int | None = None) -> None:
        t = tensors[name]
        new = size if size is not None else _div(t.shape[-1], tp, f"tensor {name!r} features")
        tensors[name] = _shrink(t, -1, new)
        sharded.add(name)

    # K/V projections feeding attention with fewer KV heads than devices keep whole heads.
    for op in workload.ops:
        if op.kind != "attention":
            continue
        kvh = op.groups_kv
        if kvh % tp == 0:
            kv_dev = kvh // tp
        elif tp % kvh == 0:
            kv_dev = 1
        else:
            raise ConfigError(
                f"field 'parallel.tensor': {tp} devices neither divide nor are a multiple of"
                f" op {op.name!r}'s {kvh} KV heads"
            )
        for name in op.inputs[1:3]:
            per_device[name] = kv_dev * op.head_dim * tensors[name].shape[-1] // (kvh * op.head_dim)

    users: dict[str, int] = {}
    for op in workload.ops:
        for t in op.inputs:
            users[t] = users.get(t, 0) + 1
    consumed_whole = {t for op in workload.ops for t in op.inputs}

    for op in workload.ops:
        weight, act = _weight_and_activation(op, tensors)
        if weight is not None and users.get(weight, 0) > 1 and op.kind in _LINEAR:
            # A weight shared with another op (a tied LM head and embedding): this op gets
            # its own shard; the other keeps the whole table.
            shard_name = f"{weight}@tp"
            if shard_name not in tensors:
                tensors[shard_name] = tensors[weight].model_copy(update={"name": shard_name})
            op = op.model_copy(
                update={"inputs": [shard_name if t == weight else t for t in op.inputs]}
            )
            weight = shard_name
        if op.kind in _LINEAR and weight is not None:
            w = tensors[weight]
            if act in sharded:  # row-parallel: split the reduction dimension
                k_dev = _div(op.k, tp, f"op {op.name!r} k")
                tensors[weight] = _shrink(w, -1, k_dev)
                ops.append(op.model_copy(update={"k": k_dev}))
                out = op.outputs[0]
                collectives.append(
                    Collective(
                        f"all-reduce:{op.name}",
                        op.name,
                        "all-reduce",
                        out,
                        tensors[out].stored_bytes,
                        op.repeat,
                    )
                )
                continue
            out = op.outputs[0]
            n = op.m if op.kind == "gemv" else op.n
            full_last = tensors[out].shape[-1]
            if out in per_device:
                n_dev = per_device[out] * n // full_last
            elif n % tp and out not in consumed_whole:
                # A final output (the LM head's vocabulary) is padded to a multiple of the
                # devices, as Megatron-LM pads its vocabulary.
                n_dev = -(-n // tp)
            else:
                n_dev = _div(n, tp, f"op {op.name!r} output features")
            tensors[weight] = _shrink(w, 0, n_dev)
            for extra in op.inputs:
                if extra != weight and tensors[extra].role == "weight" and extra != act:
                    tensors[extra] = _shrink(tensors[extra], -1, n_dev)  # bias
            split_last(
                out, per_device.get(out, n_dev * full_last // n if n_dev * tp != n else None)
            )
            field = "m" if op.kind == "gemv" else "n"
            ops.append(op.model_copy(update={field: n_dev}))
        elif op.kind == "attention" and any(t in sharded for t in op.inputs[:3]):
            heads = _div(op.heads, tp, f"op {op.name!r} heads")
            kvh = op.groups_kv
            kv_dev = kvh // tp if kvh % tp == 0 else 1
            for cache in op.inputs[3:]:
                tensors[cache] = _shrink(tensors[cache], 1, kv_dev)
            split_last(op.outputs[0])
            update = {"heads": heads, "kv_heads": kv_dev if op.kv_heads else None}
            if not op.kv_heads:
                update["heads"] = heads
            ops.append(op.model_copy(update=update))
        elif op.kind == "eltwise" and any(t in sharded for t in op.inputs):
            if not all(t in sharded for t in op.inputs):
                raise ConfigError(
                    f"op {op.name!r} mixes tensor-parallel shards with whole tensors; this graph"
                    " cannot be split by field 'parallel.tensor'"
                )
            for out in op.outputs:
                split_last(out)
            ops.append(op.model_copy(update={"elements": _div(op.elements, tp, op.name)}))
        else:
            bad = [t for t in op.inputs if t in sharded]
            if bad:
                raise ConfigError(
                    f"op {op.name!r} ({op.kind}) reads the sharded tensor {bad[0]!r}; this graph"
                    " cannot be split by field 'parallel.tensor'"
                )
            ops.append(op)

    consumed = {t for op in ops for t in op.inputs}
    for op in ops:
        for out in op.outputs:
            if out in sharded and out not in consumed:
                collectives.append(
                    Collective(
                        f"all-gather:{op.name}",
                        op.name,
                        "all-gather",
                        out,
                        tensors[out].stored_bytes * tp,
                        op.repeat,
                    )
                )
    data = {
        "name": f"{workload.name}-tp{tp}",
        "tensors": tensors,
        "ops": ops,
        "notes": [*workload.notes, f"one device's shard of {tp}-way tensor parallelism"],
    }
    return build_workload(data, workload.name), collectives


def ring_bytes(kind: str, nbytes: float, devices: int) -> float:
    """Bytes each device sends in a ring collective of an ``nbytes`` tensor (Patarasuk & Yuan,
    2009): an all-reduce is a reduce-scatter and an all-gather, 2(t-1)/t of the tensor; an
    all-gather alone (t-1)/t."""
    steps = 2 * (devices - 1) if kind == "all-reduce" else devices - 1
    return nbytes * steps / devices


def ring_steps(kind: str, devices: int) -> int:
    return 2 * (devices - 1) if kind == "all-reduce" else devices - 1
