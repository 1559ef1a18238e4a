"""Sub-batch interleaving (NeuPIMs, Heo et al., ASPLOS 2024): a batch split into sub-batches
that run as independent copies of the graph, so the host can run one sub-batch's FC layers
while the memory runs another's attention.

Each sub-batch carries ``1/n`` of the rows (GEMM rows, attention sequences, element-wise and
norm elements, embedding lookups) and its own activations and KV cache; the weights are shared,
so every sub-batch streams them again (the price of the overlap). The engine serves sub-batch
``k`` with priority ``k`` on every resource, which staggers them into a pipeline.
"""

from __future__ import annotations

from archsim.errors import ConfigError
from archsim.workload.graph import Workload, build_workload

SEP = "@sb"

# The field holding each op kind's rows (the batch dimension).
_ROWS = {
    "gemm": "m",
    "attention": "batch",
    "eltwise": "elements",
    "norm": "elements",
    "softmax": "elements",
    "embedding": "rows",
}


def sub_batch_of(name: str) -> int:
    """The sub-batch index of an op or tensor name made by :func:`split` (0 if none)."""
    _, sep, k = name.rpartition(SEP)
    return int(k) if sep and k.isdigit() else 0


def split(workload: Workload, n: int, field_name: str = "mapping.sub_batches") -> Workload:
    """``workload`` as ``n`` independent sub-batches of equal size (``field_name``: the config
    field asking for them, named in errors)."""
    if n == 1:
        return workload
    tensors = {}
    for name, t in workload.tensors.items():
        if t.role == "weight":
            tensors[name] = t
            continue
        if t.shape[0] % n:
            raise ConfigError(
                f"field {field_name!r}: {n} parts do not divide tensor {name!r}'s"
                f" first dimension ({t.shape[0]}); use a batch that {n} divides"
            )
        for k in range(n):
            part = f"{name}{SEP}{k}"
            shape = (t.shape[0] // n, *t.shape[1:])
            tensors[part] = t.model_copy(update={"name": part, "shape": shape})
    ops = []
    for op in workload.ops:
        field = _ROWS.get(op.kind)
        if field is None:
            raise ConfigError(
                f"field {field_name!r}: op {op.name!r} ({op.kind}) has no batch dimension to split"
            )
        rows = getattr(op, field)
        if rows % n:
            raise ConfigError(
                f"field {field_name!r}: {n} parts do not divide op {op.name!r}'s"
                f" {field} ({rows}); use a batch that {n} divides"
            )
        for k in range(n):

            def rename(t: str, k: int = k) -> str:
                return t if workload.tensors[t].role == "weight" else f"{t}{SEP}{k}"

            ops.append(
                op.model_copy(
                    update={
                        "name": f"{op.name}{SEP}{k}",
                        "inputs": [rename(t) for t in op.inputs],
                        "outputs": [rename(t) for t in op.outputs],
                        field: rows // n,
                    }
                )
            )
    data = {
        "name": f"{workload.name}-sb{n}",
        "tensors": tensors,
        "ops": ops,
        "notes": [*workload.notes, f"{n} interleaved sub-batches"],
    }
    return build_workload(data, workload.name)


def batch_rows(workload: Workload) -> int:
    """The batch of ``workload``: the fewest rows of any tensor that is not a weight."""
    rows = [t.shape[0] for t in workload.tensors.values() if t.role != "weight" and t.shape]
    return min(rows, default=1)


def part(workload: Workload, n: int) -> Workload:
    """One of ``n`` equal parts of the batch, under the original names (a pipeline
    micro-batch: the parts run one after another, not side by side)."""
    if n == 1:
        return workload
    whole = split(workload, n, "parallel.micro_batches")
    tail = f"{SEP}0"

    def own(name: str) -> str:
        return name[: -len(tail)] if name.endswith(tail) else name

    tensors = {
        own(name): t.model_copy(update={"name": own(name)})
        for name, t in whole.tensors.items()
        if t.role == "weight" or name.endswith(tail)
    }
    ops = [
        op.model_copy(
            update={
                "name": own(op.name),
                "inputs": [own(t) for t in op.inputs],
                "outputs": [own(t) for t in op.outputs],
            }
        )
        for op in whole.ops
        if sub_batch_of(op.name) == 0
    ]
    data = {
        "name": f"{workload.name}-mb{n}",
        "tensors": tensors,
        "ops": ops,
        "notes": [*workload.notes, f"one of {n} pipeline micro-batches"],
    }
    return build_workload(data, workload.name)
