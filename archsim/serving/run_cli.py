"""The body of ``archsim serve`` (kept apart so the CLI module stays light to import)."""

from __future__ import annotations

import json
import math
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from archsim.errors import ConfigError

out = Console()

# Settings fields (serve_config) and the options that set them, for messages that name the option.
OPTIONS = {
    "rate": "--rate", "requests": "--requests", "arrival": "--arrival", "cv": "--cv",
    "prompt": "--prompt", "output": "--output", "seed": "--seed", "max_batch": "--max-batch",
    "max_tokens": "--max-tokens", "prefill": "--prefill", "preemption": "--preemption",
    "slo_ttft_s": "--slo-ttft", "slo_tpot_s": "--slo-tpot", "model": "--model", "trace": "--trace",
}  # fmt: skip


def _configs(fields: dict, rates: list) -> list:
    """Every rate's settings, validated before the first one runs; errors name the option."""
    import re

    from archsim.serving.generate import parse_length
    from archsim.serving.serve import serve_config
    from archsim.workload.models import transformer

    try:
        configs = [serve_config(**fields, rate=r) for r in rates]
        for cfg in configs:
            if cfg.trace is None:
                if cfg.rate is None:
                    raise ConfigError("rate: give a request rate (requests/s) or a trace file")
                if not (math.isfinite(cfg.rate) and cfg.rate > 0):
                    raise ConfigError(f"rate: must be a number of requests/s > 0, got {cfg.rate}")
            parse_length(cfg.prompt, "prompt", "prompt")
            parse_length(cfg.output, "output", "output")
        transformer(fields["model"])
        return configs
    except ConfigError as exc:
        text = str(exc)
        text = re.sub(
            r"(^|\s)(" + "|".join(OPTIONS) + r"):",
            lambda m: f"{m.group(1)}{OPTIONS[m.group(2)]}:",
            text,
        )
        if text.startswith("unknown model"):
            text = f"--model: {text}"
        if "--rate:" in text and len(rates) > 1:
            text = text.replace("--rate:", "--rates:")
        raise ConfigError(text) from None


def _fmt(v, scale=1.0, digits=3):
    return "-" if v is None else f"{v * scale:,.{digits}g}"


def summary_table(summary: dict, title: str) -> Table:
    table = Table(title=title)
    table.add_column("metric")
    sides = summary["sides"]
    for label in sides:
        table.add_column(label, justify="right")
    rows = [
        ("finished / dropped",
         lambda s: f"{s['requests']['finished']} / {s['requests']['dropped']}"),
        ("output tokens/s", lambda s: _fmt(s["throughput"]["tokens_per_s"], digits=4)),
        ("requests/s", lambda s: _fmt(s["throughput"]["requests_per_s"])),
        ("TTFT p50 / p99 (s)", lambda s: f"{_fmt(s['latency_s']['ttft']['p50'])} / "
                                          f"{_fmt(s['latency_s']['ttft']['p99'])}"),
        ("TPOT p50 / p99 (ms)", lambda s: f"{_fmt(s['latency_s']['tpot']['p50'], 1e3)} / "
                                           f"{_fmt(s['latency_s']['tpot']['p99'], 1e3)}"),
        ("end-to-end p99 (s)", lambda s: _fmt(s["latency_s"]["e2e"]["p99"])),
        ("queueing p99 (s)", lambda s: _fmt(s["latency_s"]["queue"]["p99"])),
        ("SLO attainment", lambda s: f"{100 * s['slo']['attainment']:.1f}%"),
        ("goodput (tokens/s)", lambda s: _fmt(s["slo"]["goodput_tokens_per_s"], digits=4)),
        ("busy (host / PIM)", lambda s: f"{100 * s['busy']['host']:.0f}% / "
                                         f"{100 * s['busy']['pim']:.0f}%"),
        ("preempted requests", lambda s: str(s["requests"]["preempted"])),
        ("energy per token (mJ)", lambda s: _fmt(s["energy"]["per_output_token_j"], 1e3)),
        ("cost per 1M tokens ($)", lambda s: _fmt((s["tco"] or {}).get("cost_usd_per_1m_tokens"))),
        ("gCO2e per 1M tokens", lambda s: _fmt((s["tco"] or {}).get("gco2e_per_1m_tokens"))),
        ("KV cache (tokens, where)",
         lambda s: f"{s['kv_cache']['tokens']:,} ({s['kv_cache']['placement']})"),
    ]  # fmt: skip
    for name, get in rows:
        table.add_row(name, *[get(s) for s in sides.values()])
    return table


def _progress(total: int, quiet: bool):
    if quiet:
        return None, None
    bar = Progress(
        TextColumn("serving"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("requests done"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("serve", total=total)
    return bar, lambda k: bar.advance(task, k)


def run(**kw) -> None:
    from archsim.config.presets import load_system, parse_assignments
    from archsim.serving.figures import rate_sweep
    from archsim.serving.requests import read_trace
    from archsim.serving.serve import serve

    if kw["table_format"] not in ("parquet", "csv", "jsonl"):
        raise ConfigError(f"--table-format: parquet, csv or jsonl, not {kw['table_format']!r}")
    if not 0 < kw["attainment"] <= 1:
        raise ConfigError(f"--attainment: a fraction in (0, 1], got {kw['attainment']}")
    from archsim.limits import check_count
    from archsim.outputs import check_output, check_output_dir

    check_count(kw["requests"], "--requests")
    if kw["json_out"] not in (None, "-"):
        check_output(kw["json_out"], "--json")
    if kw["out_dir"] is not None:
        check_output_dir(kw["out_dir"], "--out")
    system = load_system(kw["system"], parse_assignments(kw["assignments"] or []))
    rate_list: list[float | None]
    if kw["rates"]:
        try:
            rate_list = [float(r) for r in kw["rates"].split(",") if r.strip()]
        except ValueError:
            raise ConfigError(f"--rates: comma-separated numbers, not {kw['rates']!r}") from None
        if not rate_list:
            raise ConfigError("--rates: give at least one rate")
    elif kw["rates"] is not None:
        raise ConfigError("--rates: give at least one rate")
    else:
        rate_list = [kw["rate"]]
    if kw["trace"] is not None and kw["rates"]:
        raise ConfigError("--rates generates streams; it does not apply to --trace")
    fields = {k: kw[k] for k in ("model", "requests", "arrival", "cv", "prompt", "output", "seed",
                                 "max_batch", "max_tokens", "prefill", "preemption", "bucketing",
                                 "cache", "disaggregate")}  # fmt: skip
    fields.update(slo_ttft_s=kw["slo_ttft"], slo_tpot_s=kw["slo_tpot"])
    fields["trace"] = str(kw["trace"]) if kw["trace"] is not None else None
    quiet = kw["json_out"] == "-"
    results = []
    for r, cfg in zip(rate_list, _configs(fields, rate_list), strict=True):
        reqs = read_trace(cfg.trace) if cfg.trace else None
        n = len(reqs) if reqs is not None else cfg.requests
        sides = 2 if system.pim is not None and kw["baseline"] else 1
        bar, advance = _progress(n * sides, quiet)
        if bar is not None:
            with bar:
                result = serve(system, cfg, reqs, advance, kw["baseline"])
        else:
            result = serve(system, cfg, reqs, None, kw["baseline"])
        results.append(result)
        summary = result.summary()
        if not quiet:
            where = f"{r:g} requests/s" if r else str(cfg.trace)
            out.print(summary_table(summary, f"{cfg.model} on {system.name}, {where}"))
        if kw["out_dir"] is not None:
            sub = kw["out_dir"] if len(rate_list) == 1 else kw["out_dir"] / f"rate_{r:g}"
            result.write(sub, kw["table_format"])
    payload = results[0].summary() if len(results) == 1 else _sweep_payload(results, kw)
    if len(results) > 1:
        knees = payload["max_rate_meeting_slo"]
        for label, knee in knees.items():
            text = f"{knee:g} requests/s" if knee is not None else "none of the rates"
            if not quiet:
                out.print(f"{label}: highest rate meeting the SLO for"
                          f" {100 * kw['attainment']:.0f}% of requests: {text}")  # fmt: skip
        if kw["out_dir"] is not None:
            series = {
                label: [(res.config.rate, res.summary()["sides"][label]) for res in results]
                for label in payload["max_rate_meeting_slo"]
            }
            title = f"{kw['model']} on {system.name}: TTFT <= {kw['slo_ttft']:g} s, TPOT <= {kw['slo_tpot'] * 1e3:g} ms"  # noqa: E501
            rate_sweep(series, kw["out_dir"] / "throughput_vs_rate.png", kw["attainment"], title)
            from archsim.serving.requests import atomic_write

            text = json.dumps(payload, indent=2, default=str) + "\n"
            atomic_write(kw["out_dir"] / "sweep.json", lambda p: p.write_text(text))
    if kw["json_out"] == "-":
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    elif kw["json_out"]:
        from archsim.outputs import write_text

        write_text(kw["json_out"], json.dumps(payload, indent=2, default=str) + "\n")


def _sweep_payload(results, kw) -> dict:
    from archsim.serving.figures import max_rate_meeting

    labels = list(results[0].summary()["sides"])
    points = {lab: [(r.config.rate, r.summary()["sides"][lab]) for r in results] for lab in labels}
    return {
        "attainment_target": kw["attainment"],
        "max_rate_meeting_slo": {
            lab: max_rate_meeting(p, kw["attainment"]) for lab, p in points.items()
        },
        "runs": [r.summary() for r in results],
    }  # fmt: skip
