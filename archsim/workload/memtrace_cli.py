"""``archsim trace gen stream|random|strided``: synthetic memory traces."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from archsim.errors import ArchsimError
from archsim.terminal import LazyConsole

out = LazyConsole()


def _command(kind: str):
    def generate_memory_trace(
        output: Annotated[
            Path, typer.Option("-o", "--output", help="file to write (.gz compresses)")
        ],
        requests: Annotated[int, typer.Option(help="number of requests")] = 100_000,
        read_ratio: Annotated[float, typer.Option(help="fraction of reads, 0 to 1")] = 1.0,
        span: Annotated[str, typer.Option(help="address span, e.g. 1GiB or 1073741824")] = "1GiB",
        stride: Annotated[str, typer.Option(help="stride (strided only), e.g. 4KiB")] = "64B",
        line: Annotated[str, typer.Option(help="access granularity (alignment)")] = "64B",
        base: Annotated[str, typer.Option(help="first address")] = "0B",
        interval: Annotated[
            int, typer.Option(help="arrival spacing: ps for native, tCK cycles for dramsim3")
        ] = 0,
        seed: Annotated[int, typer.Option(help="random seed")] = 0,
        fmt: Annotated[
            str, typer.Option("--format", help="native, ramulator or dramsim3")
        ] = "native",
    ) -> None:
        from archsim.config.units import UnitError, parse_quantity
        from archsim.workload.memtrace import FORMATS, write_trace
        from archsim.workload.memtrace_gen import MemoryTraceSpec, generate

        if fmt not in FORMATS:
            raise ArchsimError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        if fmt == "ramulator" and interval:
            raise ArchsimError("the ramulator format has no arrival times; drop --interval")

        def size(name: str, value: str) -> int:
            try:
                return int(parse_quantity(value, "bytes"))
            except UnitError as exc:
                raise ArchsimError(f"--{name}: {exc}") from None

        try:
            spec = MemoryTraceSpec(
                kind,  # type: ignore[arg-type]
                requests,
                read_ratio,
                size("span", span),
                size("stride", stride),
                size("line", line),
                size("base", base),
                interval,
                seed,
            )
        except ValueError as exc:
            raise ArchsimError(str(exc)) from None
        write_trace(output, *generate(spec), fmt)  # type: ignore[arg-type]
        out.print(f"wrote {requests:,} {kind} requests to {output} ({fmt} format)")

    generate_memory_trace.__doc__ = {
        "stream": "Sequential line addresses through the span (a streaming read or write).",
        "random": "Uniformly random line addresses within the span.",
        "strided": "Addresses a fixed --stride apart, wrapping within the span.",
    }[kind]
    return generate_memory_trace


def register(gen_app: typer.Typer) -> None:
    for kind in ("stream", "random", "strided"):
        gen_app.command(kind)(_command(kind))
