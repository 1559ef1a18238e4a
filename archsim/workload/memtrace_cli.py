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
        import math

        from archsim.config.units import UnitError, parse_quantity
        from archsim.limits import check_count
        from archsim.outputs import check_output
        from archsim.workload.memtrace import FORMATS, write_trace
        from archsim.workload.memtrace_gen import MemoryTraceSpec, generate

        if fmt not in FORMATS:
            raise ArchsimError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        if fmt == "ramulator" and interval:
            raise ArchsimError("--interval: the ramulator format has no arrival times; drop it")
        if requests < 1:
            raise ArchsimError(f"--requests: must be at least 1, got {requests}")
        check_count(requests, "--requests")
        if not (math.isfinite(read_ratio) and 0 <= read_ratio <= 1):
            raise ArchsimError(f"--read-ratio: must be a fraction from 0 to 1, got {read_ratio}")
        if interval < 0:
            raise ArchsimError(f"--interval: must not be negative, got {interval}")

        def size(name: str, value: str, least: int = 0) -> int:
            try:
                number = parse_quantity(value, "bytes")
            except UnitError as exc:
                raise ArchsimError(f"--{name}: {exc}") from None
            if not least <= number < 2**63:
                raise ArchsimError(f"--{name}: must be from {least} B to 2**63 B, got {value!r}")
            return int(number)

        line_bytes = size("line", line, 1)
        if line_bytes & (line_bytes - 1):
            raise ArchsimError(f"--line: must be a power of two (64B, 128B...), got {line!r}")
        span_bytes = size("span", span, line_bytes)
        stride_bytes = size("stride", stride, 1)
        base_bytes = size("base", base)
        check_output(output, "--output")

        try:
            spec = MemoryTraceSpec(
                kind,  # type: ignore[arg-type]
                requests,
                read_ratio,
                span_bytes,
                stride_bytes,
                line_bytes,
                base_bytes,
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
