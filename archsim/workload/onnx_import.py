"""ONNX model to operator trace (``pip install 'archsim[onnx]'``).

Shapes come from ONNX shape inference; symbolic dimensions take ``input_shapes`` or 1.

Mapping: MatMul/Gemm to GEMM (GEMV when a weight meets a single row), Conv to CONV2D,
LayerNormalization/RMSNormalization/BatchNormalization to NORM (batch norm's running statistics
fold into its scale and shift), Softmax, Gather on a 2-D initializer to EMBEDDING, pooling and
Reduce* to REDUCE, arithmetic and activations to ELTWISE, layout ops (Reshape, Flatten, Squeeze,
Unsqueeze, Identity, Dropout) to free views and Transpose/Concat/Slice/Split/Cast to copies. The
attention pattern MatMul(Q, Kᵀ) → [scale] → [mask] → Softmax → MatMul(·, V) over activations is
fused into one ATTENTION op (all scores counted: a masked kernel computes them). Operators on
integer tensors only (shape arithmetic) are dropped and counted in the notes. Any other operator
is an error naming each unsupported type and its count, unless ``skip_unsupported``: then its
outputs become graph inputs and the notes list what was skipped.

Initializers of two or more elements are weights; scalar constants are inputs (not parameters).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from archsim.errors import ArchsimError
from archsim.workload.graph import Workload
from archsim.workload.importer import ImporterBase, require
from archsim.workload.ops import EltwiseOp, GemmOp

ELTWISE = {
    "Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Max": "max", "Min": "min",
    "Pow": "pow", "Relu": "relu", "LeakyRelu": "relu", "PRelu": "relu", "Sigmoid": "sigmoid",
    "HardSigmoid": "sigmoid", "Tanh": "tanh", "Exp": "exp", "Sqrt": "sqrt", "Erf": "erf",
    "Gelu": "gelu", "Clip": "relu6", "Neg": "scale", "Abs": "max", "Reciprocal": "div",
    "HardSwish": "silu", "Mish": "silu", "Softplus": "exp", "Where": "max",
}  # fmt: skip
VIEWS = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"}
MOVES = {"Transpose": "transpose", "Cast": "copy", "Expand": "copy", "Pad": "copy"}
REDUCES = {"ReduceMean": "mean", "ReduceSum": "sum", "ReduceMax": "max", "GlobalAveragePool":
           "mean", "GlobalMaxPool": "max", "MaxPool": "max", "AveragePool": "mean"}  # fmt: skip
SUPPORTED = set(ELTWISE) | VIEWS | set(MOVES) | set(REDUCES) | {
    "MatMul", "Gemm", "Conv", "Softmax", "LayerNormalization", "RMSNormalization",
    "SimplifiedLayerNormalization", "BatchNormalization", "Gather", "Concat", "Slice", "Split",
    "Constant",
}  # fmt: skip


def _onnx():
    return require("onnx", "the ONNX importer", "onnx")


def _dtype(elem_type: int) -> str | None:
    from onnx import TensorProto as T

    table = {
        T.FLOAT: "fp32", T.DOUBLE: "fp32", T.FLOAT16: "fp16", T.BFLOAT16: "bf16",
        T.INT8: "int8", T.UINT8: "int8", T.INT4: "int4", T.UINT4: "int4",
        T.FLOAT8E4M3FN: "fp8", T.FLOAT8E4M3FNUZ: "fp8", T.FLOAT8E5M2: "fp8",
        T.FLOAT8E5M2FNUZ: "fp8",
    }  # fmt: skip
    return table.get(elem_type)


class _Importer(ImporterBase):
    framework = "ONNX"
    dropped_note = "integer shape arithmetic not counted"
    empty_message = "the ONNX graph holds no operator archsim can count"

    def __init__(self, model, name: str, dtype: str | None, skip_unsupported: bool) -> None:
        super().__init__(name, dtype, skip_unsupported)
        self.onnx = _onnx()
        self.graph = model.graph
        self.info: dict[str, tuple[tuple[int, ...] | None, int]] = {}
        self.inits: dict[str, Any] = {i.name: i for i in self.graph.initializer}
        self.graph_inputs = {i.name for i in self.graph.input} - set(self.inits)
        self.graph_outputs = {o.name for o in self.graph.output}
        self.alias: dict[str, str] = {}
        self.names: set[str] = set()
        for vi in [*self.graph.input, *self.graph.output, *self.graph.value_info]:
            t = vi.type.tensor_type
            dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim)
            known = t.HasField("shape") and all(d > 0 for d in dims)
            self.info[vi.name] = (dims if known else None, t.elem_type)
        for init in self.graph.initializer:
            self.info[init.name] = (tuple(init.dims), init.data_type)

    # -- tensors -------------------------------------------------------------------------------

    def shape(self, name: str) -> tuple[int, ...]:
        shape, _ = self.info.get(self.alias.get(name, name), (None, 0))
        if shape is None:
            raise ArchsimError(f"ONNX tensor {name!r}: shape unknown after shape inference")
        return shape if shape else (1,)

    def is_float(self, name: str) -> bool:
        if not name:
            return False
        _, elem = self.info.get(self.alias.get(name, name), (None, 0))
        return _dtype(elem) is not None

    def tensor(self, name: str) -> str:
        name = self.alias.get(name, name)
        if name in self.b.tensors:
            return name
        shape = self.shape(name)
        _, elem = self.info[name]
        if name in self.inits:
            role = "weight" if math.prod(shape) > 1 else "input"
        elif name in self.graph_inputs:
            role = "input"
        elif name in self.graph_outputs:
            role = "output"
        else:
            role = "activation"
        dtype = self.override or _dtype(elem) or "fp32"
        return self.b.tensor(name, shape, role=role, dtype=dtype)

    def op_name(self, node, index: int) -> str:
        name = node.name or f"{node.op_type}_{index}"
        base, k = name, 1
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def attrs(self, node) -> dict[str, Any]:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}

    # -- the walk ------------------------------------------------------------------------------

    def run(self) -> Workload:
        nodes = list(self.graph.node)
        consumers: dict[str, list[int]] = {}
        for i, node in enumerate(nodes):
            for name in node.input:
                consumers.setdefault(name, []).append(i)
        fused = self.find_attention(nodes, consumers)
        for i, node in enumerate(nodes):
            if i in fused:
                if fused[i] is not None:
                    self.fused_attention(nodes, fused[i], i)
                continue
            self.node(node, i)
        return self.finish()

    def node(self, node, index: int) -> None:
        op = node.op_type
        outs = [o for o in node.output if o]
        if node.domain not in ("", "ai.onnx") or op not in SUPPORTED:
            if not any(self.is_float(o) for o in outs):
                self.dropped[op] += 1
                return
            self.unsupported[op] += 1
            for o in outs:
                if self.is_float(o):
                    self.graph_inputs.add(o)
            return
        if op == "Constant":
            for o in outs:
                if self.is_float(o):
                    self.inits[o] = None
            return
        if not any(self.is_float(o) for o in outs):
            self.dropped[op] += 1
            return
        handler = getattr(self, f"op_{op}", None)
        name = self.op_name(node, index)
        if handler is not None:
            handler(node, name)
        elif op in ELTWISE:
            self.eltwise(node, name, ELTWISE[op])
        elif op in VIEWS:
            self.view(node, name)
        elif op in MOVES:
            self.eltwise(node, name, MOVES[op], data_only=True)
        elif op in REDUCES:
            self.reduce(node, name, REDUCES[op])

    def float_inputs(self, node) -> list[str]:
        return [self.tensor(i) for i in node.input if i and self.is_float(i)]

    def out(self, node, i: int = 0) -> str:
        return self.tensor(node.output[i])

    def eltwise(self, node, name: str, kind: str, data_only: bool = False) -> None:
        ins = self.float_inputs(node)
        if data_only:
            ins = ins[:1]
        if not ins:
            self.inits[node.output[0]] = None  # a constant computed from constants
            return
        y = self.out(node)
        self.emit_eltwise(name, ins, y, kind, self.shape(y))

    def view(self, node, name: str) -> None:
        self.eltwise(node, name, "view", data_only=True)

    def reduce(self, node, name: str, kind: str) -> None:
        x, y = self.tensor(node.input[0]), self.out(node)
        a = self.attrs(node)
        window = None
        if node.op_type in ("MaxPool", "AveragePool"):
            window = math.prod(a.get("kernel_shape", [1]))
        self.emit_reduce(name, x, y, kind, self.shape(x), self.shape(y), window)

    # -- compute ops ---------------------------------------------------------------------------

    def op_MatMul(self, node, name: str) -> None:
        a_name, b_name = node.input[0], node.input[1]
        sa, sb = self.shape(a_name), self.shape(b_name)
        y = node.output[0]
        sy = self.shape(y)
        if len(sa) < 2 or len(sb) < 2:
            self.unsupported["MatMul (1-D operand)"] += 1
            self.graph_inputs.add(y)
            return
        k, n = sb[-2], sb[-1]
        weight = b_name in self.inits and len(sb) == 2
        a, bt, yt = self.tensor(a_name), self.tensor(b_name), self.tensor(y)
        if weight:
            self.emit_linear(name, a, bt, yt, math.prod(sa[:-1]), n, k, weight_nk=False)
            return
        self.emit_batched_matmul(name, [a, bt], yt, sa[-2], n, k, math.prod(sy[:-2]))

    def op_Gemm(self, node, name: str) -> None:
        a = self.attrs(node)
        ta, tb = bool(a.get("transA", 0)), bool(a.get("transB", 0))
        sa, sb = self.shape(node.input[0]), self.shape(node.input[1])
        m, k = (sa[1], sa[0]) if ta else (sa[0], sa[1])
        n = sb[0] if tb else sb[1]
        ins = [self.tensor(node.input[0]), self.tensor(node.input[1])]
        y = self.out(node)
        extra = None
        if len(node.input) > 2 and node.input[2]:
            c = self.tensor(node.input[2])
            if math.prod(self.shape(c)) == n:
                ins.append(c)
            else:
                extra = c
        target = y
        if extra is not None:
            target = self.b.tensor(f"{y}.matmul", self.shape(y))
        self.b.op(GemmOp, name, ins, [target], m=m, n=n, k=k, transpose_a=ta, transpose_b=tb)
        if extra is not None:
            self.b.op(EltwiseOp, f"{name}.bias", [target, extra], [y], op="add",
                      elements=m * n)  # fmt: skip

    def op_Conv(self, node, name: str) -> None:
        a = self.attrs(node)
        sx, sw = self.shape(node.input[0]), self.shape(node.input[1])
        if len(sx) != 4:
            self.unsupported[f"Conv ({len(sx) - 2}-D)"] += 1
            self.graph_inputs.add(node.output[0])
            return
        sy = self.shape(node.output[0])
        kernel = tuple(a.get("kernel_shape", sw[2:]))
        stride = tuple(a.get("strides", (1, 1)))
        dilation = tuple(a.get("dilations", (1, 1)))
        pads = a.get("pads", (0, 0, 0, 0))
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto not in ("NOTSET", "VALID") or pads[0] != pads[2] or pads[1] != pads[3]:
            padding = self._symmetric_padding(sx, sy, kernel, stride, dilation)
            if padding is None:
                self.unsupported["Conv (asymmetric padding)"] += 1
                self.graph_inputs.add(node.output[0])
                return
        else:
            padding = (pads[0], pads[1]) if auto == "NOTSET" else (0, 0)
        ins = [self.tensor(i) for i in node.input if i]
        self.emit_conv(name, ins, self.out(node), sx, sw, kernel=kernel, stride=stride,
                       padding=padding, dilation=dilation, groups=a.get("group", 1))  # fmt: skip

    @staticmethod
    def _symmetric_padding(sx, sy, kernel, stride, dilation):
        padding = []
        for i in range(2):
            span = dilation[i] * (kernel[i] - 1) + 1
            total = (sy[2 + i] - 1) * stride[i] + span - sx[2 + i]
            if total % 2:
                return None
            padding.append(max(0, total // 2))
        return tuple(padding)

    def op_Softmax(self, node, name: str) -> None:
        x, y = self.tensor(node.input[0]), self.out(node)
        shape = self.shape(x)
        self.emit_softmax(name, x, y, shape, self.attrs(node).get("axis", -1))

    def _norm(self, node, name: str, kind: str, axis: int) -> None:
        ins = [self.tensor(i) for i in node.input[:3] if i]
        shape = self.shape(ins[0])
        channels = shape[1] if kind == "batch" else math.prod(shape[axis:])
        self.emit_norm(name, ins, self.out(node), kind, shape, channels)

    def op_LayerNormalization(self, node, name: str) -> None:
        self._norm(node, name, "layer", self.attrs(node).get("axis", -1))

    def op_RMSNormalization(self, node, name: str) -> None:
        self._norm(node, name, "rms", self.attrs(node).get("axis", -1))

    op_SimplifiedLayerNormalization = op_RMSNormalization

    def op_BatchNormalization(self, node, name: str) -> None:
        self._norm(node, name, "batch", 1)

    def op_Gather(self, node, name: str) -> None:
        data = node.input[0]
        axis = self.attrs(node).get("axis", 0)
        y = self.out(node)
        sd = self.shape(data)
        if data in self.inits and len(sd) == 2 and axis == 0:
            rows = math.prod(self.shape(y)) // sd[1]
            self.emit_embedding(name, self.tensor(data), y, sd, rows)
        else:
            self.emit_eltwise(name, [self.tensor(data)], y, "slice", self.shape(y))

    def op_Concat(self, node, name: str) -> None:
        ins = self.float_inputs(node)
        y = self.out(node)
        self.emit_eltwise(name, ins, y, "concat", self.shape(y))

    def op_Slice(self, node, name: str) -> None:
        y = self.out(node)
        self.emit_eltwise(name, [self.tensor(node.input[0])], y, "slice", self.shape(y))

    def op_Split(self, node, name: str) -> None:
        x = self.tensor(node.input[0])
        for i, o in enumerate(node.output):
            if o:
                y = self.tensor(o)
                self.emit_eltwise(f"{name}.{i}", [x], y, "slice", self.shape(y))

    # -- attention fusion ----------------------------------------------------------------------

    def find_attention(self, nodes, consumers) -> dict[int, tuple | None]:
        """Node index -> None (absorbed) or the pattern, placed at its last MatMul."""
        fused: dict[int, tuple | None] = {}
        producer = {o: i for i, n in enumerate(nodes) for o in n.output}

        def only_consumer(name: str) -> int | None:
            c = consumers.get(name, [])
            return c[0] if len(c) == 1 and name not in self.graph_outputs else None

        for si, node in enumerate(nodes):
            if node.op_type != "Softmax":
                continue
            chain = [si]
            cur = node.input[0]
            links = ("MatMul", "Mul", "Div", "Add", "Where")
            while True:
                pi = producer.get(cur)
                if pi is None or only_consumer(cur) is None:
                    break
                prev = nodes[pi]
                if prev.op_type == "MatMul":
                    chain.append(pi)
                    break
                if prev.op_type not in links:
                    break
                chain.append(pi)
                data = [i for i in prev.input if i in producer and nodes[producer[i]].op_type
                        in links and self.is_float(i)]  # fmt: skip
                if not data:
                    break
                cur = data[0]
            first = nodes[chain[-1]]
            if first.op_type != "MatMul" or any(i in self.inits for i in first.input):
                continue
            ci = only_consumer(node.output[0])
            if ci is None or nodes[ci].op_type != "MatMul" or nodes[ci].input[0] != node.output[0]:
                continue
            second = nodes[ci]
            if second.input[1] in self.inits:
                continue
            try:
                sq, sk, sv = (self.shape(first.input[0]), self.shape(first.input[1]),
                              self.shape(second.input[1]))  # fmt: skip
            except ArchsimError:
                continue
            if len(sq) < 3 or sk[-2] != sq[-1] or sv[-2] != sk[-1]:
                continue
            for i in chain:
                fused[i] = None
            fused[ci] = (first.input[0], first.input[1], second.input[1], second.output[0])
        return fused

    def fused_attention(self, nodes, pattern: tuple, index: int) -> None:
        q, k, v, out = pattern
        sq, sk = self.shape(q), self.shape(k)  # k arrives transposed: (..., head_dim, kv_len)
        name = self.op_name(nodes[index], index)
        self.emit_attention(name, self.tensor(q), self.tensor(k), self.tensor(v),
                            self.tensor(out), sq, kv_len=sk[-1])  # fmt: skip


def import_onnx(
    model: str | Path | Any,
    name: str | None = None,
    input_shapes: dict[str, tuple[int, ...]] | None = None,
    dtype: str | None = None,
    skip_unsupported: bool = False,
) -> Workload:
    """An ONNX model (file path or ``onnx.ModelProto``) as an operator trace."""
    onnx = _onnx()
    label = name
    if isinstance(model, str | Path):
        path = Path(model)
        if not path.is_file():
            raise ArchsimError(f"{path}: no such ONNX file")
        try:
            model = onnx.load(str(path))
        except Exception as exc:  # onnx raises DecodeError and others on a bad file
            raise ArchsimError(f"{path}: not a readable ONNX model ({exc})") from None
        label = label or path.stem
    label = label or (model.graph.name or "onnx-model")
    model = _fix_inputs(model, input_shapes or {})
    try:
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception as exc:
        raise ArchsimError(f"{label}: ONNX shape inference failed: {exc}") from None
    return _Importer(model, label, dtype, skip_unsupported).run()


def _fix_inputs(model, shapes: dict[str, tuple[int, ...]]):
    """Pin symbolic input dimensions (to ``shapes`` or 1) so inference yields numbers."""
    model_copy = type(model)()
    model_copy.CopyFrom(model)
    known = {i.name for i in model_copy.graph.input}
    unknown = set(shapes) - known
    if unknown:
        raise ArchsimError(
            f"--input-shape names {', '.join(sorted(unknown))}, not inputs of the model"
            f" (inputs: {', '.join(sorted(known))})"
        )
    for vi in model_copy.graph.input:
        dims = vi.type.tensor_type.shape.dim
        if vi.name in shapes:
            want = shapes[vi.name]
            if len(want) != len(dims):
                raise ArchsimError(
                    f"input {vi.name!r} has {len(dims)} dimensions, --input-shape gave {len(want)}"
                )
            for d, value in zip(dims, want, strict=True):
                d.dim_value = value
        else:
            for d in dims:
                if not d.HasField("dim_value"):
                    d.dim_value = 1
    return model_copy
