"""Operators of an operator trace: what each computes, and the bytes it moves.

Every operator carries its own dimensions, so ``macs()``, ``flops()`` and ``gemm_view()`` need
no workload; the workload checks that the dimensions agree with the shapes of the tensors the
operator names (see :mod:`archsim.workload.graph`), through the rules each operator states
(:mod:`.base`). ``bytes_read`` and ``bytes_written`` are the compulsory traffic of one execution:
each operand once, compressed size when sparse. How often a mapping re-reads an operand is the
mapper's business, not the trace's.

One module per family: :mod:`.matrix` (GEMM, GEMV, CONV2D), :mod:`.attention`,
:mod:`.elementwise` (element-wise, normalization, softmax, embedding, reduction) and
:mod:`.solver` (SOLVE, REGRESSION, EIGEN). A new operator is a class in one of them (or a new
module) plus one entry in ``OP_CLASSES`` and ``Op`` below.

Counting conventions (one multiply-accumulate = one MAC = two FLOPs):

* GEMM/GEMV/CONV2D: ``MACs = M·N·K`` (im2col for convolution), reduced to
  ``rows × non-zeros`` when the weight operand is sparse (``weight_nonzeros``); a bias adds one
  FLOP per output element.
* ATTENTION: ``QKᵀ`` and ``AV`` count ``head_dim`` MACs per (query, key) pair each. A causal mask
  is counted exactly: query ``i`` of ``q_len`` (at position ``kv_len - q_len + i``) attends
  ``kv_len - q_len + i + 1`` keys. Scaling and softmax add ``SCORE_FLOPS`` per pair.
* Element-wise, normalization, softmax and reduction FLOPs per element follow the tables in
  :mod:`.elementwise` (one FLOP per add, multiply, compare, divide, exponential or square root).
* SOLVE/REGRESSION/EIGEN count the digital baseline's arithmetic (see :mod:`.solver`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from archsim.workload.ops.attention import SCORE_FLOPS, AttentionOp
from archsim.workload.ops.base import Expect, Gemm, OpBase, Pair, Positive, Problems
from archsim.workload.ops.elementwise import (
    ELTWISE_FLOPS,
    NORM_FLOPS,
    SOFTMAX_FLOPS,
    EltwiseKind,
    EltwiseOp,
    EmbeddingOp,
    NormOp,
    ReduceOp,
    SoftmaxOp,
)
from archsim.workload.ops.matrix import Conv2dOp, GemmOp, GemvOp
from archsim.workload.ops.solver import (
    SYMMETRIC_KINDS,
    EigenOp,
    RegressionOp,
    SolveMatrix,
    SolveOp,
    cholesky_macs,
    lu_macs,
)

OP_CLASSES: tuple[type[OpBase], ...] = (
    GemmOp, GemvOp, Conv2dOp, AttentionOp, EltwiseOp, NormOp, SoftmaxOp, EmbeddingOp, ReduceOp,
    SolveOp, RegressionOp, EigenOp,
)  # fmt: skip
OP_KINDS: tuple[str, ...] = tuple(c.model_fields["kind"].default for c in OP_CLASSES)
# Operand holding the weight whose sparsity reduces MACs, per op kind.
WEIGHT_OPERAND: dict[str, int] = {
    c.model_fields["kind"].default: c.weight_operand
    for c in OP_CLASSES
    if c.weight_operand is not None
}

Op = Annotated[
    GemmOp
    | GemvOp
    | Conv2dOp
    | AttentionOp
    | EltwiseOp
    | NormOp
    | SoftmaxOp
    | EmbeddingOp
    | ReduceOp
    | SolveOp
    | RegressionOp
    | EigenOp,
    Field(discriminator="kind"),
]

__all__ = [
    "ELTWISE_FLOPS", "NORM_FLOPS", "OP_CLASSES", "OP_KINDS", "SCORE_FLOPS", "SOFTMAX_FLOPS",
    "SYMMETRIC_KINDS", "WEIGHT_OPERAND", "AttentionOp", "Conv2dOp", "EigenOp", "EltwiseKind",
    "EltwiseOp", "EmbeddingOp", "Expect", "Gemm", "GemmOp", "GemvOp", "NormOp", "Op", "OpBase",
    "Pair", "Positive", "Problems", "ReduceOp", "RegressionOp", "SoftmaxOp", "SolveMatrix",
    "SolveOp", "cholesky_macs", "lu_macs",
]  # fmt: skip
