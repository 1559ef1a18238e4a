"""CNN workloads: ResNet-50 (v1.5, as torchvision builds it) and MobileNetV2.

Batch normalization is kept as an inference-time ``norm`` op (scale and shift, two parameters
per channel, as the published parameter counts include them); max pooling and global average
pooling are ``reduce`` ops; ReLU/ReLU6 are element-wise ops.
"""

from __future__ import annotations

from archsim.errors import ConfigError
from archsim.workload.builder import GraphBuilder
from archsim.workload.graph import Workload
from archsim.workload.models import CNN_MODELS, unknown_model
from archsim.workload.ops import Conv2dOp, EltwiseOp, GemmOp, GemvOp, NormOp, ReduceOp
from archsim.workload.tensor import DTYPES

# ResNet-50: He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016), Table 1
# (50-layer column): bottleneck stages of [3, 4, 6, 3] blocks, widths 64/128/256/512, expansion
# 4, 7x7/2 stem and 3x3/2 max pool, 1000-way FC. v1.5 (torchvision) strides the 3x3 conv of a
# block rather than its first 1x1.
RESNET50_STAGES = ((3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2))  # (blocks, width, stride)
RESNET_EXPANSION = 4

# MobileNetV2: Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks"
# (CVPR 2018), Table 2: (expansion t, channels c, repeats n, stride s) per bottleneck stage,
# a 32-channel 3x3/2 stem and a 1280-channel 1x1 conv before pooling; ReLU6.
MOBILENETV2_STAGES = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
    (6, 320, 1, 1),
)  # fmt: skip
MOBILENETV2_STEM = 32
MOBILENETV2_LAST = 1280
IMAGENET_CLASSES = 1000


class _Net:
    def __init__(self, b: GraphBuilder, batch: int, weight_dtype: str) -> None:
        self.b, self.batch, self.wdt = b, batch, weight_dtype

    def weight(self, name: str, shape: tuple[int, ...]) -> str:
        return self.b.tensor(name, shape, role="weight", dtype=self.wdt)

    def conv_bn(
        self,
        name: str,
        x: str,
        shape: tuple[int, int, int],
        cout: int,
        k: int,
        stride: int,
        act: str | None,
        groups: int = 1,
    ) -> tuple[str, tuple[int, int, int]]:
        cin, h, w = shape
        b = self.b
        wt = self.weight(f"{name}.w", (cout, cin // groups, k, k))
        op = Conv2dOp(
            name=f"{name}",
            inputs=[x, wt],
            outputs=["_"],
            batch=self.batch,
            in_channels=cin,
            out_channels=cout,
            height=h,
            width=w,
            kernel=k,
            stride=stride,
            padding=k // 2,
            groups=groups,
        )
        oshape = (cout, op.out_height, op.out_width)
        y = b.tensor(f"{name}.out", (self.batch, *oshape))
        b.op(
            Conv2dOp,
            name,
            [x, wt],
            [y],
            **op.model_dump(exclude={"name", "inputs", "outputs", "kind"}),
        )
        elements = self.batch * cout * oshape[1] * oshape[2]
        bn = f"{name}.bn"
        z = b.tensor(f"{bn}.out", (self.batch, *oshape))
        b.op(
            NormOp,
            bn,
            [y, self.weight(f"{bn}.gamma", (cout,)), self.weight(f"{bn}.beta", (cout,))],
            [z],
            norm="batch",
            elements=elements,
            channels=cout,
        )
        if act:
            z = self.act(f"{name}.{act}", act, z, elements, oshape)
        return z, oshape

    def act(self, name: str, act: str, x: str, elements: int, shape: tuple[int, ...]) -> str:
        y = self.b.tensor(f"{name}.out", (self.batch, *shape))
        self.b.op(EltwiseOp, name, [x], [y], op=act, elements=elements)
        return y

    def add(self, name: str, a: str, c: str, shape: tuple[int, int, int], act: str | None) -> str:
        elements = self.batch * shape[0] * shape[1] * shape[2]
        y = self.b.tensor(f"{name}.out", (self.batch, *shape))
        self.b.op(EltwiseOp, name, [a, c], [y], op="add", elements=elements)
        return self.act(f"{name}.{act}", act, y, elements, shape) if act else y

    def head(self, x: str, shape: tuple[int, int, int], classes: int) -> str:
        c, h, w = shape
        b = self.b
        pooled = b.tensor("avgpool.out", (self.batch, c))
        b.op(
            ReduceOp,
            "avgpool",
            [x],
            [pooled],
            op="mean",
            in_elements=self.batch * c * h * w,
            out_elements=self.batch * c,
        )
        wt, bias = self.weight("fc.w", (classes, c)), self.weight("fc.b", (classes,))
        logits = b.tensor("logits", (self.batch, classes), role="output")
        if self.batch == 1:
            b.op(GemvOp, "fc", [wt, pooled, bias], [logits], m=classes, k=c)
        else:
            b.op(
                GemmOp,
                "fc",
                [pooled, wt, bias],
                [logits],
                m=self.batch,
                n=classes,
                k=c,
                transpose_b=True,
            )
        return logits


def _resnet50(net: _Net, x: str, image: int) -> None:
    b = net.b
    h, shape = net.conv_bn("conv1", x, (3, image, image), 64, 7, 2, "relu")
    c, hh, ww = shape
    oh, ow = (hh + 2 - 3) // 2 + 1, (ww + 2 - 3) // 2 + 1
    pooled = b.tensor("maxpool.out", (net.batch, c, oh, ow))
    b.op(
        ReduceOp,
        "maxpool",
        [h],
        [pooled],
        op="max",
        in_elements=net.batch * c * hh * ww,
        out_elements=net.batch * c * oh * ow,
        window=9,
    )
    h, shape = pooled, (c, oh, ow)
    for si, (blocks, width, stride) in enumerate(RESNET50_STAGES, start=1):
        for bi in range(blocks):
            p = f"layer{si}.{bi}"
            s = stride if bi == 0 else 1
            out_c = width * RESNET_EXPANSION
            y, sh = net.conv_bn(f"{p}.conv1", h, shape, width, 1, 1, "relu")
            y, sh = net.conv_bn(f"{p}.conv2", y, sh, width, 3, s, "relu")
            y, sh = net.conv_bn(f"{p}.conv3", y, sh, out_c, 1, 1, None)
            skip = h
            if bi == 0:
                skip, _ = net.conv_bn(f"{p}.downsample", h, shape, out_c, 1, s, None)
            h = net.add(f"{p}.add", y, skip, sh, "relu")
            shape = sh
    net.head(h, shape, IMAGENET_CLASSES)


def _mobilenetv2(net: _Net, x: str, image: int) -> None:
    h, shape = net.conv_bn("features.0", x, (3, image, image), MOBILENETV2_STEM, 3, 2, "relu6")
    index = 1
    for t, c, n, s in MOBILENETV2_STAGES:
        for i in range(n):
            p = f"features.{index}"
            stride = s if i == 0 else 1
            cin = shape[0]
            hidden = cin * t
            y, sh = h, shape
            if t != 1:
                y, sh = net.conv_bn(f"{p}.expand", y, sh, hidden, 1, 1, "relu6")
            y, sh = net.conv_bn(f"{p}.dw", y, sh, hidden, 3, stride, "relu6", groups=hidden)
            y, sh = net.conv_bn(f"{p}.project", y, sh, c, 1, 1, None)
            h = net.add(f"{p}.add", h, y, sh, None) if stride == 1 and cin == c else y
            shape = sh
            index += 1
    h, shape = net.conv_bn(f"features.{index}", h, shape, MOBILENETV2_LAST, 1, 1, "relu6")
    net.head(h, shape, IMAGENET_CLASSES)


def cnn_workload(
    model: str,
    batch: int = 1,
    image: int = 224,
    dtype: str = "fp16",
    weight_dtype: str | None = None,
    name: str | None = None,
) -> Workload:
    """ResNet-50 or MobileNetV2 inference on ``batch`` images of ``image`` x ``image``."""
    builders = {"resnet50": _resnet50, "mobilenetv2": _mobilenetv2}
    if model not in builders:
        raise unknown_model(model, CNN_MODELS)
    for field, value in (("batch", batch), ("image", image)):
        if value < 1:
            raise ConfigError(f"{field}: must be at least 1, got {value}")
    if image < 32:
        raise ConfigError(f"image: {image} is too small for {model} (32 at least)")
    for field, value in (("dtype", dtype), ("weight_dtype", weight_dtype)):
        if value is not None and value not in DTYPES:
            raise ConfigError(f"{field}: {value!r} is not one of {', '.join(DTYPES)}")
    b = GraphBuilder(name or f"{model}-b{batch}-i{image}", dtype)
    net = _Net(b, batch, weight_dtype or dtype)
    x = b.tensor("image", (batch, 3, image, image), role="input")
    builders[model](net, x, image)
    b.notes.append(f"{model}: batch {batch}, {image}x{image}, dtype {dtype}")
    return b.build()
