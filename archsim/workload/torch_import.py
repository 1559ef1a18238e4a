"""PyTorch ``nn.Module`` to operator trace (``pip install 'archsim[torch]'``, CPU torch is fine).

The module is captured with ``torch.export`` (ATen operators with static shapes from fake
tensors), then mapped: linear/matmul/bmm/addmm to GEMM (GEMV for a single row against a weight),
conv2d to CONV2D, scaled_dot_product_attention to ATTENTION (grouped-query heads and
``is_causal`` kept), layer/RMS/batch norm to NORM (running statistics fold into scale and
shift), softmax, embedding, pooling and reductions to REDUCE, arithmetic and activations to
ELTWISE, layout changes to views or copies. Layout ops applied to parameters (e.g.
MultiheadAttention splitting ``in_proj_weight``) yield weights, not ops. Parameters are weights,
buffers and user inputs are inputs. Operators without a tensor result are dropped (counted in
the notes); any other unsupported operator is an error naming each one and its count, unless
``skip_unsupported``.
"""

from __future__ import annotations

import importlib.util
import math
import operator
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from archsim.errors import ArchsimError
from archsim.workload.graph import Workload
from archsim.workload.importer import ImporterBase, require

ELTWISE = {
    "add": "add", "sub": "sub", "rsub": "sub", "mul": "mul", "div": "div", "relu": "relu",
    "relu_": "relu", "gelu": "gelu", "silu": "silu", "sigmoid": "sigmoid", "tanh": "tanh",
    "hardtanh": "relu6", "relu6": "relu6", "clamp": "relu6", "exp": "exp", "sqrt": "sqrt",
    "rsqrt": "sqrt", "pow": "pow", "neg": "scale", "abs": "max", "maximum": "max",
    "minimum": "min", "where": "max", "erf": "erf", "leaky_relu": "relu", "hardswish": "silu",
    "mish": "silu", "softplus": "exp", "masked_fill": "max", "add_": "add", "mul_": "mul",
}  # fmt: skip
VIEWS = {"view", "reshape", "_unsafe_view", "flatten", "unflatten", "squeeze", "unsqueeze",
         "expand", "alias", "dropout", "detach", "lift_fresh_copy"}  # fmt: skip
MOVES = {"permute": "transpose", "transpose": "transpose", "t": "transpose",
         "contiguous": "copy", "clone": "copy", "_to_copy": "copy", "to": "copy"}  # fmt: skip
SLICES = {"slice", "select", "narrow", "index"}
SPLITS = {"split", "split_with_sizes", "chunk", "unbind", "tensor_split"}
REDUCES = {"mean": "mean", "sum": "sum", "amax": "max", "max": "max",
           "adaptive_avg_pool2d": "mean", "max_pool2d": "max", "avg_pool2d": "mean",
           "max_pool2d_with_indices": "max"}  # fmt: skip
LAYOUT = VIEWS | set(MOVES) | SLICES | SPLITS | {"getitem"}


def _torch():
    return require("torch", "the PyTorch importer", "torch")


def _dtype(torch, dt) -> str | None:
    table = {
        torch.float32: "fp32", torch.float64: "fp32", torch.float16: "fp16",
        torch.bfloat16: "bf16", torch.int8: "int8", torch.uint8: "int8",
    }  # fmt: skip
    for name in ("float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"):
        if hasattr(torch, name):
            table[getattr(torch, name)] = "fp8"
    return table.get(dt)


def _opname(target) -> str:
    if target is operator.getitem:
        return "getitem"
    text = str(target)
    parts = text.split(".")
    return parts[1] if len(parts) >= 2 and parts[0] == "aten" else text


class _Importer(ImporterBase):
    framework = "PyTorch"
    dropped_note = "operators without a tensor result, not counted"
    empty_message = "the module holds no operator archsim can count"

    def __init__(self, ep, name: str, dtype: str | None, skip_unsupported: bool) -> None:
        super().__init__(name, dtype, skip_unsupported)
        self.torch = _torch()
        self.ep = ep
        sig = ep.graph_signature
        self.params = set(sig.inputs_to_parameters)
        self.roles: dict[str, str] = {}
        for node in ep.graph.nodes:
            if node.op == "placeholder":
                self.roles[node.name] = "weight" if node.name in self.params else "input"
        self.outputs: set[str] = set()
        self.derived: set[str] = set()  # layout views of parameters: weights, not ops
        self.skipped: set[str] = set()

    # -- tensors -------------------------------------------------------------------------------

    def val(self, node):
        return node.meta.get("val")

    def is_tensor(self, node) -> bool:
        v = self.val(node)
        return isinstance(v, self.torch.Tensor) and _dtype(self.torch, v.dtype) is not None

    def shape(self, node) -> tuple[int, ...]:
        shape = tuple(int(d) for d in self.val(node).shape)
        return shape if shape else (1,)

    def tensor(self, node) -> str:
        name = node.name
        if name in self.b.tensors:
            return name
        if node.name in self.derived or self.roles.get(node.name) == "weight":
            role = "weight"
        elif node.op == "placeholder" or name in self.skipped:
            role = "input"
        elif name in self.outputs:
            role = "output"
        else:
            role = "activation"
        dtype = self.override or _dtype(self.torch, self.val(node).dtype) or "fp32"
        return self.b.tensor(name, self.shape(node), role=role, dtype=dtype)

    def arg(self, node, i: int, key: str | None = None, default=None):
        if i < len(node.args):
            return node.args[i]
        return node.kwargs.get(key, default) if key else default

    def tensor_args(self, node) -> list:
        from torch.fx import Node

        flat = []
        for a in [*node.args, *node.kwargs.values()]:
            items = a if isinstance(a, list | tuple) else [a]
            flat.extend(x for x in items if isinstance(x, Node) and self.is_tensor(x))
        return flat

    # -- the walk ------------------------------------------------------------------------------

    def run(self) -> Workload:
        graph = self.ep.graph
        for node in graph.nodes:
            if node.op == "output":
                from torch.fx import Node

                for a in self.torch.utils._pytree.tree_leaves(node.args):
                    if isinstance(a, Node):
                        self.outputs.add(a.name)
        for node in graph.nodes:
            if node.op != "call_function":
                continue
            name = _opname(node.target)
            if name in LAYOUT and self._weight_layout(node, name):
                continue
            if not self.is_tensor(node) and name not in SPLITS and name not in TUPLE_OPS:
                if self._holds_float(self.val(node)):
                    self.unsupported[name] += 1
                    self.skipped.add(node.name)
                else:
                    self.dropped[name] += 1
                continue
            if name in TUPLE_OPS and not self.is_tensor(node):
                continue  # handled at getitem(node, 0)
            handler = getattr(self, f"op_{name}", None)
            if handler is not None:
                handler(node)
            elif name in ELTWISE:
                self.eltwise(node, ELTWISE[name])
            elif name in VIEWS:
                self.eltwise(node, "view", first=True)
            elif name in MOVES:
                self.eltwise(node, MOVES[name], first=True)
            elif name in SLICES:
                self.eltwise(node, "slice", first=True)
            elif name in REDUCES:
                self.reduce(node, REDUCES[name])
            elif name in SPLITS:
                pass  # each getitem of the result is a slice
            else:
                self.unsupported[name] += 1
                self.skipped.add(node.name)
        return self.finish()

    def _weight_layout(self, node, name: str) -> bool:
        """A layout op on a parameter (or a view of one) makes a weight, not an op."""
        src = node.args[0] if node.args else None
        if src is None or not hasattr(src, "name"):
            return False
        if src.name in self.derived or self.roles.get(src.name) == "weight":
            self.derived.add(node.name)
            return True
        return False

    def out(self, node) -> str:
        return self.tensor(node)

    def eltwise(self, node, kind: str, first: bool = False) -> None:
        ins = self.tensor_args(node)
        if first:
            ins = ins[:1]
        if not ins:
            self.dropped[_opname(node.target)] += 1
            return
        names = list(dict.fromkeys(self.tensor(i) for i in ins))
        self.emit_eltwise(node.name, names, self.out(node), kind, self.shape(node))

    def reduce(self, node, kind: str) -> None:
        x = node.args[0]
        window = None
        name = _opname(node.target)
        if name in ("max_pool2d", "avg_pool2d", "max_pool2d_with_indices"):
            k = node.args[1]
            window = math.prod(k) if isinstance(k, list | tuple) else k * k
        out_shape = self.shape(node) if self.is_tensor(node) else None
        if out_shape is None:
            self.unsupported[name] += 1
            return
        self.emit_reduce(node.name, self.tensor(x), self.out(node), kind, self.shape(x), out_shape,
                         window)  # fmt: skip

    # -- compute ops ---------------------------------------------------------------------------

    def _holds_float(self, value) -> bool:
        if isinstance(value, list | tuple):
            return any(self._holds_float(v) for v in value)
        return isinstance(value, self.torch.Tensor) and _dtype(self.torch, value.dtype) is not None

    def op_getitem(self, node) -> None:
        src, index = node.args
        src_name = _opname(src.target) if src.op == "call_function" else ""
        if src.name in self.skipped:
            self.skipped.add(node.name)
        elif src_name in SPLITS:
            self.emit_eltwise(node.name, [self.tensor(src.args[0])], self.out(node), "slice",
                              self.shape(node))  # fmt: skip
        elif src_name in TUPLE_OPS and index == 0:
            # The op's main result: run its handler with this node as the output.
            shim = SimpleNamespace(
                name=node.name,
                op="call_function",
                args=src.args,
                kwargs=src.kwargs,
                target=src.target,
                meta=node.meta,
            )
            TUPLE_OPS[src_name](self, shim)
        else:
            self.dropped[f"{src_name or 'getitem'}[{index}]"] += 1

    def _linear(self, node, x, w, bias) -> None:
        sx, sw = self.shape(x), self.shape(w)
        n, k = sw
        rows = math.prod(sx[:-1])
        y = self.out(node)
        for operand in (w, x) if rows == 1 else (x, w):  # declared in the op's operand order
            self.tensor(operand)
        b = self.tensor(bias) if bias else None
        self.emit_linear(node.name, self.tensor(x), self.tensor(w), y, rows, n, k, weight_nk=True,
                         bias=b)  # fmt: skip

    def op_linear(self, node) -> None:
        self._linear(node, node.args[0], node.args[1], self.arg(node, 2, "bias"))

    def _matmul(self, node, a, b, bias=None) -> None:
        sa, sb = self.shape(a), self.shape(b)
        if len(self.val(a).shape) < 2 or len(self.val(b).shape) < 2:
            self.unsupported[f"{_opname(node.target)} (1-D operand)"] += 1
            self.skipped.add(node.name)
            return
        k, n = sb[-2], sb[-1]
        y = self.out(node)
        ins = [self.tensor(a), self.tensor(b)] + ([self.tensor(bias)] if bias is not None else [])
        if len(sb) == 2:
            self.emit_batched_matmul(node.name, ins, y, math.prod(sa[:-1]), n, k)
        else:
            batch = math.prod(self.shape(node)[:-2])
            self.emit_batched_matmul(node.name, ins, y, sa[-2], n, k, batch)

    def op_matmul(self, node) -> None:
        self._matmul(node, node.args[0], node.args[1])

    op_mm = op_matmul
    op_bmm = op_matmul

    def op_addmm(self, node) -> None:
        bias, a, b = node.args[:3]
        if math.prod(self.shape(bias)) != self.shape(b)[-1]:
            self.unsupported["addmm (full bias)"] += 1
            self.skipped.add(node.name)
            return
        self._matmul(node, a, b, bias)

    def _conv(self, node, x, w, bias, stride, padding, dilation, groups) -> None:
        sx, sw = self.shape(x), self.shape(w)
        if len(sx) != 4:
            self.unsupported[f"conv ({len(sx) - 2}-D input)"] += 1
            self.skipped.add(node.name)
            return
        kernel = tuple(sw[2:])
        dilation = tuple(dilation) if isinstance(dilation, list | tuple) else (dilation,) * 2
        if isinstance(padding, str):
            if padding == "valid":
                padding = (0, 0)
            else:  # "same" with stride 1
                padding = tuple(d * (k - 1) // 2 for d, k in zip(dilation, kernel, strict=True))
        ins = [self.tensor(x), self.tensor(w)] + ([self.tensor(bias)] if bias is not None else [])
        self.emit_conv(node.name, ins, self.out(node), sx, sw, kernel=kernel, stride=tuple(stride),
                       padding=tuple(padding), dilation=dilation, groups=groups)  # fmt: skip

    def op_conv2d(self, node) -> None:
        a = lambda i, k, d: self.arg(node, i, k, d)  # noqa: E731
        self._conv(
            node,
            node.args[0],
            node.args[1],
            a(2, "bias", None),
            a(3, "stride", (1, 1)),
            a(4, "padding", (0, 0)),
            a(5, "dilation", (1, 1)),
            a(6, "groups", 1),
        )

    def op_convolution(self, node) -> None:
        x, w, bias, stride, padding, dilation, transposed, _, groups = node.args[:9]
        if transposed:
            self.unsupported["conv_transpose"] += 1
            self.skipped.add(node.name)
            return
        self._conv(node, x, w, bias, stride, padding, dilation, groups)

    def op_scaled_dot_product_attention(self, node) -> None:
        q, k, v = node.args[:3]
        causal = bool(self.arg(node, 5, "is_causal", False))
        sq, sk = self.shape(q), self.shape(k)
        if len(sq) < 3:
            self.unsupported["scaled_dot_product_attention (2-D)"] += 1
            self.skipped.add(node.name)
            return
        kv_heads = sk[-3] if len(sk) >= 4 else 1
        self.emit_attention(node.name, self.tensor(q), self.tensor(k), self.tensor(v),
                            self.out(node), sq, kv_len=sk[-2], kv_heads=kv_heads,
                            causal=causal and sq[-2] <= sk[-2])  # fmt: skip

    def op_softmax(self, node) -> None:
        x = node.args[0]
        self.emit_softmax(node.name, self.tensor(x), self.out(node), self.shape(x), node.args[1])

    op__softmax = op_softmax
    op_log_softmax = op_softmax

    def _norm(self, node, kind: str, x, weights: list, channels: int) -> None:
        ins = [self.tensor(x)] + [self.tensor(w) for w in weights if w is not None]
        self.emit_norm(node.name, ins, self.out(node), kind, self.shape(x), channels)

    def op_layer_norm(self, node) -> None:
        x, shape = node.args[0], node.args[1]
        self._norm(node, "layer", x, [self.arg(node, 2, "weight"), self.arg(node, 3, "bias")],
                   math.prod(shape))  # fmt: skip

    def op_rms_norm(self, node) -> None:
        x, shape = node.args[0], node.args[1]
        self._norm(node, "rms", x, [self.arg(node, 2, "weight")], math.prod(shape))

    def op_batch_norm(self, node) -> None:
        x = node.args[0]
        self._norm(node, "batch", x, [node.args[1], node.args[2]], self.shape(x)[1])

    def op_embedding(self, node) -> None:
        w, ids = node.args[:2]
        rows = math.prod(tuple(int(d) for d in self.val(ids).shape)) or 1
        self.emit_embedding(node.name, self.tensor(w), self.out(node), self.shape(w), rows)

    def op_cat(self, node) -> None:
        ins = [self.tensor(t) for t in node.args[0] if self.is_tensor(t)]
        self.emit_eltwise(node.name, ins, self.out(node), "concat", self.shape(node))

    op_concat = op_cat


# Ops whose first tuple element is the result (the rest are statistics or indices).
TUPLE_OPS = {
    "max_pool2d_with_indices": lambda self, n: self.reduce(n, "max"),
    "_native_batch_norm_legit_no_training": _Importer.op_batch_norm,
    "native_batch_norm": _Importer.op_batch_norm,
    "native_layer_norm": _Importer.op_layer_norm,
}


def import_torch(
    module: Any,
    example_inputs: tuple,
    name: str | None = None,
    dtype: str | None = None,
    skip_unsupported: bool = False,
) -> Workload:
    """Capture ``module`` on ``example_inputs`` with torch.export and build the trace."""
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise ArchsimError(f"expected a torch.nn.Module, got {type(module).__name__}")
    module = module.eval()
    label = name or type(module).__name__
    try:
        with torch.no_grad():
            ep = torch.export.export(module, tuple(example_inputs))
    except Exception as exc:  # export raises many types; report the first line
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArchsimError(f"{label}: torch.export could not capture the module: {first}") from None
    return _Importer(ep, label, dtype, skip_unsupported).run()


def load_factory(spec: str):
    """``path/to/module.py:factory`` (or ``package.module:factory``) to the callable."""
    if ":" not in spec:
        raise ArchsimError(f"{spec!r}: expected module.py:factory, e.g. models.py:build")
    where, _, attr = spec.rpartition(":")
    if where.endswith(".py") or Path(where).is_file():
        path = Path(where)
        if not path.is_file():
            raise ArchsimError(f"{where}: no such file")
        mod_name = f"_archsim_user_{path.stem}"
        loader = importlib.util.spec_from_file_location(mod_name, path)
        if loader is None or loader.loader is None:
            raise ArchsimError(f"{where}: cannot be imported as a Python module")
        mod = importlib.util.module_from_spec(loader)
        sys.modules[mod_name] = mod
        try:
            loader.loader.exec_module(mod)
        except Exception as exc:
            raise ArchsimError(
                f"{where}: importing it failed: {type(exc).__name__}: {exc}"
            ) from None
    else:
        try:
            mod = importlib.import_module(where)
        except ImportError as exc:
            raise ArchsimError(f"{where}: cannot import: {exc}") from None
    factory = getattr(mod, attr, None)
    if factory is None or not callable(factory):
        raise ArchsimError(f"{where} has no callable {attr!r}")
    return factory


def example_inputs(shapes: list[tuple[int, ...]], input_dtype: str = "float32") -> tuple:
    """Random example inputs of the given shapes (integers in [0, 2) for integer dtypes)."""
    torch = _torch()
    dt = getattr(torch, input_dtype, None)
    if not isinstance(dt, torch.dtype):
        raise ArchsimError(f"--input-dtype: {input_dtype!r} is not a torch dtype")
    if dt.is_floating_point:
        return tuple(torch.randn(*s, dtype=dt) for s in shapes)
    return tuple(torch.randint(0, 2, s, dtype=dt) for s in shapes)
