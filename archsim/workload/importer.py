"""What the ONNX and PyTorch importers share: the optional dependency, the unsupported-op
bookkeeping and its error, and how each kind of operator becomes an archsim op once its shapes are
known.

A framework importer (:mod:`.onnx_import`, :mod:`.torch_import`) walks its own graph, resolves
tensor names, shapes and attributes, and calls the ``emit_*`` methods here for every operator kind
both frameworks have, so the two count such a layer the same way by construction; only an
operator one framework alone has (ONNX's Gemm with transposes and a full bias) builds its op
itself.
"""

from __future__ import annotations

import math
from collections import Counter
from importlib import import_module
from types import ModuleType
from typing import ClassVar

from archsim.errors import ArchsimError
from archsim.workload.builder import GraphBuilder
from archsim.workload.graph import Workload
from archsim.workload.ops import (
    AttentionOp,
    Conv2dOp,
    EltwiseOp,
    EmbeddingOp,
    GemmOp,
    GemvOp,
    NormOp,
    ReduceOp,
    SoftmaxOp,
)

Shape = tuple[int, ...]


def require(module: str, what: str, extra: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it."""
    try:
        return import_module(module)
    except ImportError:
        raise ArchsimError(f"{what} needs {module}: pip install 'archsim[{extra}]'") from None


class ImporterBase:
    """Builder, dtype override and the counts of dropped and unsupported operators."""

    framework: ClassVar[str]  # as named in messages: "ONNX", "PyTorch"
    dropped_note: ClassVar[str]  # what a dropped operator is, for the notes
    empty_message: ClassVar[str]  # the error when nothing countable is left

    def __init__(self, name: str, dtype: str | None, skip_unsupported: bool) -> None:
        self.b = GraphBuilder(name, dtype or "fp32")
        self.override = dtype
        self.skip = skip_unsupported
        self.dropped: Counter[str] = Counter()
        self.unsupported: Counter[str] = Counter()

    def finish(self) -> Workload:
        """Refuse unsupported operators (unless skipped), note what was left out, build."""
        if self.unsupported:
            listed = ", ".join(f"{k} x{v}" for k, v in sorted(self.unsupported.items()))
            if not self.skip:
                raise ArchsimError(
                    f"unsupported {self.framework} ops: {listed}; pass --skip-unsupported"
                    " (skip_unsupported=True) to import the rest with their outputs as inputs"
                )
            self.b.notes.append(
                f"skipped unsupported {self.framework} ops (outputs became inputs): {listed}"
            )
        if self.dropped:
            listed = ", ".join(f"{k} x{v}" for k, v in sorted(self.dropped.items()))
            self.b.notes.append(f"{self.dropped_note}: {listed}")
        if not self.b.ops:
            raise ArchsimError(self.empty_message)
        return self.b.build()

    # -- one archsim op per framework operator, from names and shapes --------------------------

    def emit_linear(
        self, name: str, x: str, w: str, y: str, rows: int, n: int, k: int, *,
        weight_nk: bool, bias: str | None = None,
    ) -> None:  # fmt: skip
        """``rows`` of x times a weight stored (n, k) (``weight_nk``) or (k, n): one row is a
        GEMV over the weight, more rows a GEMM."""
        extra = [bias] if bias else []
        if rows == 1:
            self.b.op(GemvOp, name, [w, x, *extra], [y], m=n, k=k, transpose_a=not weight_nk)
        else:
            self.b.op(GemmOp, name, [x, w, *extra], [y], m=rows, n=n, k=k, transpose_b=weight_nk)

    def emit_batched_matmul(
        self, name: str, ins: list[str], y: str, m: int, n: int, k: int, batch: int = 1
    ) -> None:
        self.b.op(GemmOp, name, ins, [y], m=m, n=n, k=k, batch=batch)

    def emit_conv(
        self, name: str, ins: list[str], y: str, sx: Shape, sw: Shape, *,
        kernel: Shape, stride: Shape, padding: Shape, dilation: Shape, groups: int,
    ) -> None:  # fmt: skip
        """An NCHW convolution: input shape ``sx``, weight shape ``sw`` (out, in/groups, ...)."""
        self.b.op(Conv2dOp, name, ins, [y], batch=sx[0], in_channels=sx[1], out_channels=sw[0],
                  height=sx[2], width=sx[3], kernel=kernel, stride=stride, padding=padding,
                  dilation=dilation, groups=groups)  # fmt: skip

    def emit_attention(
        self, name: str, q: str, k: str, v: str, y: str, sq: Shape, kv_len: int, **fields
    ) -> None:
        """Attention over queries of shape (..., heads, q_len, head_dim) or (batch, q_len, d)."""
        heads = sq[-3] if len(sq) >= 4 else 1
        batch = math.prod(sq[:-3]) if len(sq) >= 4 else sq[0]
        self.b.op(AttentionOp, name, [q, k, v], [y], batch=batch, heads=heads,
                  head_dim=sq[-1], q_len=sq[-2], kv_len=kv_len, **fields)  # fmt: skip

    def emit_eltwise(self, name: str, ins: list[str], y: str, kind: str, out_shape: Shape) -> None:
        """Element-wise work (``kind`` as in ELTWISE_FLOPS) over every output element; also
        views, copies, slices and concatenations."""
        self.b.op(EltwiseOp, name, ins, [y], op=kind, elements=math.prod(out_shape))

    def emit_reduce(
        self, name: str, x: str, y: str, kind: str, sx: Shape, sy: Shape, window: int | None
    ) -> None:
        self.b.op(ReduceOp, name, [x], [y], op=kind, in_elements=math.prod(sx),
                  out_elements=math.prod(sy), window=window)  # fmt: skip

    def emit_softmax(self, name: str, x: str, y: str, shape: Shape, axis: int) -> None:
        self.b.op(SoftmaxOp, name, [x], [y], elements=math.prod(shape), axis_size=shape[axis])

    def emit_norm(
        self, name: str, ins: list[str], y: str, kind: str, shape: Shape, channels: int
    ) -> None:
        self.b.op(NormOp, name, ins, [y], norm=kind, elements=math.prod(shape),
                  channels=channels)  # fmt: skip

    def emit_embedding(self, name: str, table: str, y: str, table_shape: Shape, rows: int) -> None:
        vocab, dim = table_shape
        self.b.op(EmbeddingOp, name, [table], [y], vocab=vocab, dim=dim, rows=rows)
