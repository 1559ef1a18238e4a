"""What one run of a workload delivers: tokens and queries, the denominators of per-unit cost."""

from __future__ import annotations

from archsim.workload.graph import Workload
from archsim.workload.ops import EmbeddingOp


def tokens_per_run(workload: Workload) -> int | None:
    """Tokens a run processes: rows through the token embedding, over every step.

    Decode: batch x steps (one new token per sequence per step); prefill and encoders: batch x
    prompt length. The token table is the embedding with the largest vocabulary (position and
    segment tables are small). ``None`` for workloads with no token embedding (CNNs, GEMV).
    """
    by_table: dict[str, tuple[int, int]] = {}
    for op in workload.ops:
        if isinstance(op, EmbeddingOp):
            vocab, rows = by_table.get(op.inputs[0], (op.vocab, 0))
            by_table[op.inputs[0]] = (vocab, rows + op.rows * op.repeat)
    if not by_table:
        return None
    return max(by_table.values())[1]


def queries_per_run(workload: Workload) -> int:
    """Requests a run answers: the rows of the final output (the batch), at least one."""
    last = workload.ops[-1]
    shape = workload.tensors[last.outputs[0]].shape if last.outputs else ()
    return max(int(shape[0]), 1) if shape else 1
