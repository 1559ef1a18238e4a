"""ONNX and PyTorch importers on small models built here (both extras are in [dev])."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn
from torch.nn import functional as F

from archsim.errors import ArchsimError
from archsim.workload.onnx_import import import_onnx
from archsim.workload.torch_import import import_torch

# -- ONNX -------------------------------------------------------------------------------------

RNG = np.random.default_rng(0)


def _init(name, *shape):
    return numpy_helper.from_array(RNG.standard_normal(shape).astype(np.float32), name)


def _const(name, values, dtype=np.int64):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


def _model(nodes, inputs, outputs, inits, opset=17):
    graph = helper.make_graph(nodes, "test", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model


def _attention_block(extra_nodes=(), extra_outputs=None):
    b, s, d, h = 2, 8, 16, 2
    nodes = [
        helper.make_node("MatMul", ["x", "Wq"], ["q0"]),
        helper.make_node("MatMul", ["x", "Wk"], ["k0"]),
        helper.make_node("MatMul", ["x", "Wv"], ["v0"]),
        helper.make_node("Reshape", ["q0", "shp"], ["q1"]),
        helper.make_node("Transpose", ["q1"], ["q"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["k0", "shp"], ["k1"]),
        helper.make_node("Transpose", ["k1"], ["kt"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["v0", "shp"], ["v1"]),
        helper.make_node("Transpose", ["v1"], ["v"], perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", ["q", "kt"], ["scores"]),
        helper.make_node("Div", ["scores", "scale"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["probs"], axis=-1),
        helper.make_node("MatMul", ["probs", "v"], ["ctx"]),
        helper.make_node("Transpose", ["ctx"], ["ctx1"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["ctx1", "shp2"], ["ctx2"]),
        helper.make_node("MatMul", ["ctx2", "Wo"], ["o"]),
        helper.make_node("Add", ["o", "bo"], ["res"]),
        helper.make_node("LayerNormalization", ["res", "g", "beta"], ["y"], axis=-1),
        *extra_nodes,
    ]
    inits = [
        *(_init(n, d, d) for n in ("Wq", "Wk", "Wv", "Wo")),
        *(_init(n, d) for n in ("bo", "g", "beta")),
        _const("shp", [b, s, h, d // h]),
        _const("shp2", [b, s, d]),
        _const("scale", 2.0, np.float32),
        _const("k", [2]),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", s, d])
    outputs = extra_outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, [b, s, d])]
    return _model(nodes, [x], outputs, inits), (b, s, d, h)


def test_onnx_attention_block_is_fused_with_exact_counts():
    model, (b, s, d, h) = _attention_block()
    w = import_onnx(model, input_shapes={"x": (b, s, d)})
    kinds = [op.kind for op in w.ops]
    assert kinds.count("attention") == 1 and "softmax" not in kinds
    att = next(op for op in w.ops if op.kind == "attention")
    assert (att.batch, att.heads, att.head_dim, att.q_len, att.kv_len) == (b, h, d // h, s, s)
    totals = w.totals()
    assert totals.params == 4 * d * d + 3 * d  # the scalar scale is a constant, not a parameter
    assert totals.macs == 4 * b * s * d * d + 2 * b * h * s * s * (d // h)


def test_onnx_conv_net(tmp_path):
    nodes = [
        helper.make_node("Conv", ["img", "W1", "b1"], ["c1"], kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c1", "s", "bb", "mean", "var"], ["n1"]),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("Conv", ["r1", "W2"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         group=8),
        helper.make_node("GlobalAveragePool", ["c2"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "Wfc", "bfc"], ["logits"], transB=1),
    ]  # fmt: skip
    inits = [_init("W1", 8, 3, 3, 3), _init("b1", 8), _init("s", 8), _init("bb", 8),
             _init("mean", 8), _init("var", 8), _init("W2", 8, 1, 3, 3), _init("Wfc", 10, 8),
             _init("bfc", 10)]  # fmt: skip
    model = _model(
        nodes,
        [helper.make_tensor_value_info("img", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    path = tmp_path / "net.onnx"
    onnx.save(model, str(path))
    w = import_onnx(path)
    assert [op.kind for op in w.ops] == ["conv2d", "norm", "eltwise", "conv2d", "reduce",
                                         "eltwise", "gemm"]  # fmt: skip
    totals = w.totals()
    # Running mean/var fold into scale and shift: not parameters of the trace.
    assert totals.params == 8 * 27 + 8 + 8 + 8 + 8 * 9 + 10 * 8 + 10
    assert totals.macs == 16 * 16 * 8 * 27 + 16 * 16 * 8 * 9 + 80
    assert w.tensors["logits"].role == "output"


def test_onnx_unsupported_ops_are_named_and_counted():
    topk = helper.make_node("TopK", ["y", "k"], ["top", "idx"], axis=-1)
    out = [helper.make_tensor_value_info("top", TensorProto.FLOAT, [2, 8, 2])]
    model, _ = _attention_block([topk], out)
    with pytest.raises(ArchsimError, match=r"unsupported ONNX ops: TopK x1"):
        import_onnx(model, input_shapes={"x": (2, 8, 16)})
    w = import_onnx(model, input_shapes={"x": (2, 8, 16)}, skip_unsupported=True)
    assert any("TopK x1" in note for note in w.notes)


def test_onnx_bad_input(tmp_path):
    with pytest.raises(ArchsimError, match="no such ONNX file"):
        import_onnx(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x99not onnx")
    with pytest.raises(ArchsimError, match=r"junk\.onnx"):
        import_onnx(junk)
    model, _ = _attention_block()
    with pytest.raises(ArchsimError, match="not inputs of the model"):
        import_onnx(model, input_shapes={"nope": (1,)})


# -- PyTorch ----------------------------------------------------------------------------------


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(2)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = F.relu6(self.dw(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class TinyDecoder(nn.Module):
    """Embedding, GQA attention through SDPA, SwiGLU MLP, RMSNorm, untied head."""

    def __init__(self, vocab=50, dim=32, heads=4, kv_heads=2, hidden=64):
        super().__init__()
        self.heads, self.kv_heads, self.hd = heads, kv_heads, dim // heads
        self.embed = nn.Embedding(vocab, dim)
        self.norm1 = nn.RMSNorm(dim)
        self.q = nn.Linear(dim, dim, bias=False)
        self.k = nn.Linear(dim, kv_heads * self.hd, bias=False)
        self.v = nn.Linear(dim, kv_heads * self.hd, bias=False)
        self.o = nn.Linear(dim, dim, bias=False)
        self.norm2 = nn.RMSNorm(dim)
        self.gate = nn.Linear(dim, hidden, bias=False)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)
        self.head = nn.Linear(dim, vocab, bias=False)

    def forward(self, ids):
        b, s = ids.shape
        h = self.embed(ids)
        x = self.norm1(h)
        q = self.q(x).view(b, s, self.heads, self.hd).transpose(1, 2)
        k = self.k(x).view(b, s, self.kv_heads, self.hd).transpose(1, 2)
        v = self.v(x).view(b, s, self.kv_heads, self.hd).transpose(1, 2)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        h = h + self.o(a.transpose(1, 2).reshape(b, s, -1))
        x = self.norm2(h)
        h = h + self.down(F.silu(self.gate(x)) * self.up(x))
        return self.head(h)


@pytest.mark.slow  # over 1 s: run by CI's slow stage
def test_torch_cnn_params_and_macs():
    model = SmallCNN()
    w = import_torch(model, (torch.randn(2, 3, 16, 16),))
    totals = w.totals()
    assert totals.params == sum(p.numel() for p in model.parameters())
    expected = 2 * 16 * 16 * 16 * 27 + 2 * 8 * 8 * 16 * 9 + 2 * 16 * 10
    assert totals.macs == expected
    kinds = {op.kind for op in w.ops}
    assert {"conv2d", "norm", "reduce", "gemm", "eltwise"} <= kinds


def test_torch_decoder_with_gqa_attention():
    model = TinyDecoder()
    b, s = 2, 12
    w = import_torch(model, (torch.randint(0, 50, (b, s)),), name="tiny")
    assert w.name == "tiny"
    totals = w.totals()
    assert totals.params == sum(p.numel() for p in model.parameters())
    att = next(op for op in w.ops if op.kind == "attention")
    assert (att.heads, att.kv_heads, att.causal, att.q_len, att.kv_len) == (4, 2, True, s, s)
    rows = b * s
    linear = rows * (32 * 32 + 2 * 32 * 16 + 32 * 32 + 3 * 32 * 64 + 32 * 50)
    attention = 2 * b * 4 * 8 * (s * (s + 1) // 2)
    assert totals.macs == linear + attention


def test_torch_unsupported_and_bad_modules():
    class Sorts(nn.Module):
        def forward(self, x):
            return torch.sort(x).values * 2

    with pytest.raises(ArchsimError, match="unsupported PyTorch ops: sort x1"):
        import_torch(Sorts(), (torch.randn(4, 4),))
    w = import_torch(Sorts(), (torch.randn(4, 4),), skip_unsupported=True)
    assert any("sort x1" in note for note in w.notes)
    assert w.tensors["getitem"].role == "input"
    with pytest.raises(ArchsimError, match=r"expected a torch\.nn\.Module"):
        import_torch(object(), ())

    class Broken(nn.Module):
        def forward(self, x):
            return x @ torch.ones(3, 3)

    with pytest.raises(ArchsimError, match=r"torch\.export could not capture"):
        import_torch(Broken(), (torch.randn(2, 2),))
