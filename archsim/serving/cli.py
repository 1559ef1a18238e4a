"""``archsim serve``: the command (registered by archsim.cli; the package loads on use)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# DistServe (Zhong et al., OSDI 2024) sizes systems for 90% SLO attainment.
ATTAINMENT = 0.9


def serve(
    system: Annotated[str, typer.Argument(help="system preset or YAML (host, memory, energy)")],
    model: Annotated[str, typer.Option(help="LLM preset, e.g. llama2-7b, llama2-70b")] = (
        "llama2-7b"
    ),
    rate: Annotated[float | None, typer.Option(help="requests/s of the generated stream")] = None,
    rates: Annotated[
        str | None,
        typer.Option(help="comma-separated rates: a rate sweep with the SLO knee (e.g. 1,2,4,8)"),
    ] = None,
    requests: Annotated[int, typer.Option(help="requests to generate")] = 1000,
    trace: Annotated[
        Path | None, typer.Option(help="request trace (.csv, .jsonl, .parquet) instead")
    ] = None,
    arrival: Annotated[str, typer.Option(help="poisson or gamma (bursty)")] = "poisson",
    cv: Annotated[float, typer.Option(help="gamma arrivals: coefficient of variation")] = 2.0,
    prompt: Annotated[
        str,
        typer.Option(help="prompt lengths: fixed:N, uniform:LO:HI, lognormal:MEAN:SIGMA, sharegpt"),
    ] = "sharegpt",
    output: Annotated[str, typer.Option(help="output lengths (same forms as --prompt)")] = (
        "sharegpt"
    ),
    seed: Annotated[int, typer.Option(help="seed of every draw")] = 0,
    max_batch: Annotated[int, typer.Option(help="requests per iteration")] = 256,
    max_tokens: Annotated[int, typer.Option(help="tokens per iteration")] = 2048,
    prefill: Annotated[str, typer.Option(help="chunked or whole")] = "chunked",
    preemption: Annotated[str, typer.Option(help="recompute or swap")] = "recompute",
    slo_ttft: Annotated[float, typer.Option(help="TTFT target, s")] = 2.0,
    slo_tpot: Annotated[float, typer.Option(help="TPOT target, s")] = 0.1,
    attainment: Annotated[
        float, typer.Option(help="--rates: fraction of requests that must meet the SLO")
    ] = ATTAINMENT,
    disaggregate: Annotated[
        bool, typer.Option(help="prefill and decode on two device groups")
    ] = False,
    bucketing: Annotated[bool, typer.Option(help="memoize iteration costs on a grid")] = True,
    cache: Annotated[bool, typer.Option(help="keep simulated iteration costs on disk")] = True,
    baseline: Annotated[bool, typer.Option(help="also serve on the baseline twin")] = True,
    json_out: Annotated[
        str | None, typer.Option("--json", help="write the summary JSON to PATH, or - for stdout")
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="directory: per-request tables, summary.json, figures"),
    ] = None,
    table_format: Annotated[str, typer.Option(help="parquet, csv or jsonl")] = "parquet",
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="override a system field: dotted.path=value (repeatable)"),
    ] = None,
) -> None:
    """Serve a request stream: continuous batching, paged KV cache, SLOs, cost per token at load."""
    from archsim.serving.run_cli import run

    run(**locals())
