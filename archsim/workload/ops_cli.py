"""Operator-trace commands: ``archsim trace gen KIND`` for every generator of
:mod:`archsim.workload.catalog`, ``archsim trace info``, ``archsim trace from-torch|from-onnx``.

Heavy imports (pydantic models, pyarrow, torch, onnx) happen inside the commands. Every user
error is an :class:`ArchsimError`, printed by the CLI as one line.
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from archsim.errors import ArchsimError
from archsim.terminal import LazyConsole
from archsim.workload.catalog import GENERATORS, REQUIRED, Generator

out = LazyConsole()

Output = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="write the trace (.jsonl, .jsonl.gz, .yaml or .parquet)"),
]
JsonOut = Annotated[
    str | None, typer.Option("--json", help="write the summary as JSON to PATH, or - for stdout")
]
DType = Annotated[str, typer.Option(help="number format: fp32, fp16, bf16, fp8, int8, int4")]
WeightDType = Annotated[str | None, typer.Option(help="weight number format (default: dtype)")]
Sparsity = Annotated[
    str | None, typer.Option(help="prune weights: a zero ratio such as 0.5, or N:M such as 2:4")
]
GroupSize = Annotated[
    int | None, typer.Option(help="elements per fp16 quantization scale of int/fp8 weights")
]

ImportDType = Annotated[
    str | None, typer.Option(help="number format for every tensor (default: the model's)")
]
WorkloadName = Annotated[str | None, typer.Option(help="workload name")]
SkipUnsupported = Annotated[
    bool, typer.Option(help="import the rest when an op is unsupported (listed in notes)")
]


def _guard(func):
    """Pydantic validation errors become ArchsimError (one line, no traceback)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from pydantic import ValidationError

        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            from archsim.workload.graph import format_errors

            raise ArchsimError(f"invalid input\n{format_errors(exc)}") from None

    return wrapper


def _finish(
    workload,
    output: Path | None,
    json_out: str | None,
    sparsity: str | None = None,
    weight_dtype: str | None = None,
    group_size: int | None = None,
) -> None:
    """Apply pruning/quantization, write the trace, print or emit the summary."""
    from archsim.workload.formats import write_workload
    from archsim.workload.quantize import prune, quantize
    from archsim.workload.summary import summarize, summary_table

    if sparsity is not None:
        workload = prune(workload, _sparsity(sparsity))
    if group_size is not None:
        if weight_dtype not in ("int8", "int4", "fp8"):
            raise ArchsimError("--group-size needs --weight-dtype int8, int4 or fp8")
        workload = quantize(workload, weights=weight_dtype, group_size=group_size)
    if output is not None:
        fmt = write_workload(workload, output)
        if json_out != "-":
            out.print(f"wrote {len(workload.ops):,} ops to {output} ({fmt})")
    summary = summarize(workload)
    if json_out != "-":
        out.print(summary_table(summary))
    _emit_json(summary, json_out)


def _sparsity(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _emit_json(payload: dict, destination: str | None) -> None:
    from archsim.outputs import dump_json, emit_json

    emit_json(dump_json(payload), destination)


def _check_outputs(output: Path | None, json_out: str | None) -> None:
    """The trace and summary paths, checked before the trace is built."""
    from archsim.outputs import check_output
    from archsim.workload.formats import SUFFIXES

    if output is not None:
        check_output(output, "--output", suffixes=tuple(SUFFIXES))
    if json_out not in (None, "-"):
        check_output(json_out, "--json")


def _shape(text: str, option: str) -> tuple[int, ...]:
    parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise ArchsimError(f"{option}: {text!r} is not a shape such as 1,3,224,224") from None
    if not shape or min(shape) < 1:
        raise ArchsimError(f"{option}: {text!r} needs positive dimensions")
    return shape


# ---------------------------------------------------------------------------------------------
# trace gen
# ---------------------------------------------------------------------------------------------


def _gen_command(gen: Generator):
    """The ``trace gen`` command of one generator, its options derived from the declaration."""
    options = []
    for p in gen.params:
        if not p.cli:
            continue
        kind: Any = str if p.dtype or p.choices else p.type
        annotation = Annotated[kind | None if p.optional else kind, typer.Option(help=p.cli_help)]
        default = inspect.Parameter.empty if p.default is REQUIRED else p.default
        options.append((p.name, annotation, default))
    if gen.post:
        options += [("sparsity", Sparsity, None), ("group_size", GroupSize, None)]
    options += [("output", Output, None), ("json_out", JsonOut, None)]

    def command(**kwargs: Any) -> None:
        output, json_out = kwargs.pop("output"), kwargs.pop("json_out")
        _check_outputs(output, json_out)
        sparsity, group_size = kwargs.pop("sparsity", None), kwargs.pop("group_size", None)
        workload = gen.function()(**kwargs)
        _finish(workload, output, json_out, sparsity, kwargs.get("weight_dtype"), group_size)

    kw_only = inspect.Parameter.KEYWORD_ONLY
    command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, kw_only, default=d, annotation=a) for name, a, d in options]
    )
    command.__annotations__ = {name: a for name, a, _ in options}
    command.__doc__ = gen.doc
    command.__name__ = command.__qualname__ = f"gen_{gen.name}"
    return _guard(command)


# ---------------------------------------------------------------------------------------------
# trace info / from-torch / from-onnx
# ---------------------------------------------------------------------------------------------


@_guard
def info(
    trace: Annotated[
        str,
        typer.Argument(help="operator or memory trace file, workload preset, or sample trace"),
    ],
    json_out: JsonOut = None,
) -> None:
    """Summarize a trace: ops, params, MACs, FLOPs, bytes, intensity; or memory requests."""
    from archsim.workload.summary import summarize_any, summary_table

    _check_outputs(None, json_out)
    summary = summarize_any(trace)
    if json_out != "-":
        out.print(summary_table(summary))
    _emit_json(summary, json_out)


@_guard
def from_torch(
    factory: Annotated[str, typer.Argument(help="module.py:factory returning an nn.Module")],
    input_shape: Annotated[
        list[str], typer.Option(help="shape of each example input, e.g. 1,3,224,224 (repeat)")
    ],
    input_dtype: Annotated[str, typer.Option(help="torch dtype of the inputs")] = "float32",
    dtype: ImportDType = None,
    name: WorkloadName = None,
    skip_unsupported: SkipUnsupported = False,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """Capture a PyTorch module with torch.export and write its operator trace."""
    from archsim.workload.torch_import import example_inputs, import_torch, load_factory

    shapes = [_shape(s, "--input-shape") for s in input_shape]
    _check_outputs(output, json_out)
    build = load_factory(factory)
    try:
        module = build()
    except Exception as exc:
        raise ArchsimError(f"{factory}: calling it failed: {type(exc).__name__}: {exc}") from None
    _check_dtype(dtype)
    try:
        w = import_torch(module, example_inputs(shapes, input_dtype), name=name, dtype=dtype,
                         skip_unsupported=skip_unsupported)  # fmt: skip
    except ArchsimError as exc:
        text = str(exc)
        raise ArchsimError(text if factory in text else f"{factory}: {text}") from None
    _finish(w, output, json_out)


@_guard
def from_onnx(
    model: Annotated[Path, typer.Argument(help="ONNX model file")],
    input_shape: Annotated[
        list[str] | None,
        typer.Option(help="NAME=1,3,224,224 for symbolic input dimensions (repeat); default 1"),
    ] = None,
    dtype: ImportDType = None,
    name: WorkloadName = None,
    skip_unsupported: SkipUnsupported = False,
    output: Output = None,
    json_out: JsonOut = None,
) -> None:
    """Convert an ONNX model into an operator trace (shapes inferred)."""
    from archsim.workload.onnx_import import import_onnx

    _check_outputs(output, json_out)
    shapes: dict[str, Any] = {}
    for item in input_shape or []:
        if "=" not in item:
            raise ArchsimError(f"--input-shape: {item!r} must read NAME=1,3,224,224")
        key, _, value = item.partition("=")
        shapes[key.strip()] = _shape(value, "--input-shape")
    _check_dtype(dtype)
    w = import_onnx(model, name=name, input_shapes=shapes, dtype=dtype,
                    skip_unsupported=skip_unsupported)  # fmt: skip
    _finish(w, output, json_out)


def _check_dtype(dtype: str | None) -> None:
    from archsim.workload.tensor import DTYPES

    if dtype is not None and dtype not in DTYPES:
        raise ArchsimError(f"--dtype: {dtype!r} is not one of {', '.join(DTYPES)}")


GEN_COMMANDS = {name: _gen_command(gen) for name, gen in GENERATORS.items()}


def register(trace_app: typer.Typer, gen_app: typer.Typer) -> None:
    """Add the operator-trace commands to ``archsim trace`` and ``archsim trace gen``."""
    for name, func in GEN_COMMANDS.items():
        gen_app.command(name)(func)
    trace_app.command("info")(info)
    trace_app.command("from-torch")(from_torch)
    trace_app.command("from-onnx")(from_onnx)
