"""archsim serve: traces, generators, bad input, the cost model against `archsim run`, the
bucketing error bound, outputs and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from archsim.cli import app
from archsim.config.presets import load_system
from archsim.errors import ArchsimError, ConfigError, TraceError
from archsim.serving.generate import SHAREGPT_OUTPUT_MEAN, arrivals, generate, parse_length
from archsim.serving.requests import Requests, read_trace, write_trace
from archsim.serving.serve import serve, serve_config

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_disk_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHSIM_SERVE_CACHE", str(tmp_path / "cache"))


# -- traces -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_trace_round_trip(tmp_path, suffix):
    r = generate(50, 3.0, "uniform:1:900", "fixed:7", seed=4)
    path = tmp_path / f"t{suffix}"
    write_trace(r, path)
    back = read_trace(path)
    np.testing.assert_allclose(back.arrival_s, r.arrival_s)
    np.testing.assert_array_equal(back.prompt_tokens, r.prompt_tokens)
    np.testing.assert_array_equal(back.output_tokens, r.output_tokens)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("arrival_s,prompt_tokens,output_tokens\n0.1,10,5\n0.2,abc,5\n", 3, "prompt_tokens"),
        ("arrival_s,prompt_tokens,output_tokens\n0.1,10,5\n0.2,10,0\n", 3, "at least 1"),
        ("arrival_s,prompt_tokens,output_tokens\n0.1,-4,5\n", 2, "at least 1"),
        ("arrival_s,prompt_tokens,output_tokens\n-1,4,5\n", 2, ">= 0"),
        ("arrival_s,prompt_tokens,output_tokens\n0.5,4.5,5\n", 2, "whole number"),
        ("arrival_s,prompt_tokens\n0.5,4\n", 1, "header"),
    ],
)
def test_malformed_csv_names_file_and_line(tmp_path, text, line, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(TraceError) as exc:
        read_trace(path)
    assert f"bad.csv:{line}:" in str(exc.value)
    assert words in str(exc.value)


def test_malformed_jsonl_names_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"arrival_s": 0, "prompt_tokens": 3, "output_tokens": 2}\n{"arrival_s": 1, "prompt\n'
    )
    with pytest.raises(TraceError, match=r"bad.jsonl:2: not valid JSON"):
        read_trace(path)


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(ArchsimError, match="csv"):
        read_trace(tmp_path / "x.txt")
    with pytest.raises(ArchsimError, match="no such file"):
        read_trace(tmp_path / "x.csv")


# -- generators ---------------------------------------------------------------------------------


def test_poisson_and_gamma_rates():
    t = arrivals(40_000, 5.0, "poisson", seed=1)
    gaps = np.diff(t)
    assert gaps.mean() == pytest.approx(0.2, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, rel=0.03)
    g = np.diff(arrivals(40_000, 5.0, "gamma", cv=3.0, seed=1))
    assert g.mean() == pytest.approx(0.2, rel=0.05)
    assert g.std() / g.mean() == pytest.approx(3.0, rel=0.1)


def test_sharegpt_lengths_and_seeds():
    a = generate(20_000, 1.0, seed=3)
    assert a.output_tokens.mean() == pytest.approx(SHAREGPT_OUTPUT_MEAN, rel=0.08)
    assert a.prompt_tokens.min() >= 1
    b = generate(20_000, 9.0, seed=3)
    np.testing.assert_array_equal(a.prompt_tokens, b.prompt_tokens)  # the rate moves times only
    c = generate(20_000, 1.0, seed=4)
    assert not np.array_equal(a.prompt_tokens, c.prompt_tokens)


def test_sharegpt_means_agree_with_the_papers_text():
    """vLLM (SOSP 2023) Sec. 6.1: ShareGPT has 8.4x longer inputs and 5.8x longer outputs than
    Alpaca on average; the Fig. 11 means the generator uses must give those ratios."""
    from archsim.serving import generate as g

    assert round(g.SHAREGPT_PROMPT_MEAN / g.ALPACA_PROMPT_MEAN, 1) == 8.4
    assert round(g.SHAREGPT_OUTPUT_MEAN / g.ALPACA_OUTPUT_MEAN, 1) == 5.8


@pytest.mark.parametrize("rate", [0, -1.0, float("nan")])
def test_rate_must_be_positive(rate):
    with pytest.raises(ConfigError, match="rate"):
        generate(10, rate)


@pytest.mark.parametrize("text", ["fixed:0", "uniform:5:2", "lognormal:100:0", "normal:3", "x"])
def test_bad_length_distribution(text):
    with pytest.raises(ConfigError, match="prompt"):
        parse_length(text, "prompt", "prompt")


# -- the simulator behind it --------------------------------------------------------------------


def test_low_rate_tpot_matches_archsim_run():
    """Alone in the system, a request's TPOT is `archsim run`'s decode time per token at its
    mean context, on both sides."""
    from archsim.simulate import simulate
    from archsim.workload.transformer import llm_workload

    prompt, out = 256, 32
    req = Requests(np.array([0.0, 100.0, 200.0]), np.full(3, prompt), np.full(3, out))
    cfg = serve_config(model="gpt2", prompt=f"fixed:{prompt}", output=f"fixed:{out}")
    result = serve("hbm2-pim", cfg, req)
    # Decode steps read prompt + 1 ... prompt + out - 1 cached tokens: mean prompt + out / 2.
    mean_context = prompt + out // 2
    run = simulate("hbm2-pim", llm_workload("gpt2", "decode", batch=1, context=mean_context))
    expect = {"baseline": run.report.baseline.time_ns, "in_memory": run.report.in_memory.time_ns}
    for side in result.sides:
        tpot = side.summary["latency_s"]["tpot"]["mean"]
        assert tpot == pytest.approx(expect[side.label] * 1e-9, rel=0.02), side.label
        assert side.summary["latency_s"]["queue"]["p99"] == 0.0


def _bucketing_error(system, n=12):
    args = dict(model="gpt2", rate=25.0, requests=n, prompt="uniform:16:300", output="uniform:4:40")
    fast = serve(system, serve_config(**args), baseline=False).sides[0].summary
    exact = serve(system, serve_config(**args, bucketing=False), baseline=False).sides[0].summary
    thr = fast["throughput"]["tokens_per_s"] / exact["throughput"]["tokens_per_s"] - 1
    p99 = fast["latency_s"]["tpot"]["p99"] / exact["latency_s"]["tpot"]["p99"] - 1
    assert exact["cost_model"]["simulations"] > fast["cost_model"]["simulations"]
    return thr, p99


@pytest.mark.slow  # over 2 s: run by CI's slow stage
def test_bucketing_error_under_2_percent_host():
    thr, p99 = _bucketing_error(load_system("hbm2-pim").baseline())
    assert abs(thr) < 0.02 and abs(p99) < 0.02


@pytest.mark.slow
def test_bucketing_error_under_2_percent_pim():
    thr, p99 = _bucketing_error(load_system("hbm2-pim"), n=60)
    assert abs(thr) < 0.02 and abs(p99) < 0.02


def test_request_longer_than_kv_cache_is_dropped():
    """A request that can never fit the cache is dropped with the reason, not left waiting."""
    from archsim.serving.kv import kv_bytes_per_token, weight_bytes

    system = load_system("hbm2-pim")
    # Memory for the weights and 40 blocks (640 tokens) of KV cache.
    room = weight_bytes("gpt2") + 40.5 * 16 * kv_bytes_per_token("gpt2")
    fraction = room / system.memory.organization.capacity_bytes
    req = Requests(np.array([0.0, 0.1, 0.2]), np.array([100, 900, 100]), np.array([5, 5, 5]))
    cfg = serve_config(model="gpt2", memory_fraction=fraction)
    result = serve(system, cfg, req, baseline=False)
    s = result.sides[0].summary
    assert s["kv_cache"]["blocks"] == 40
    assert s["requests"]["finished"] == 2 and s["requests"]["dropped"] == 1
    assert s["requests"]["drop_reasons"] == {"longer than the KV cache": 1}
    reason = result.sides[0].table["drop_reason"][1]
    assert "905 tokens of KV cache" in reason
    assert s["tokens"]["output"] == 10


def test_request_longer_than_the_model_context_is_dropped():
    req = Requests(np.array([0.0, 0.1]), np.array([1000, 10]), np.array([100, 5]))
    result = serve("hbm2-pim", serve_config(model="gpt2"), req, baseline=False)
    s = result.sides[0].summary
    assert s["requests"]["drop_reasons"] == {"longer than the model's context": 1}
    assert "1024 positions" in result.sides[0].table["drop_reason"][0]


def test_model_too_big_for_memory():
    with pytest.raises(ConfigError, match=r"memory\.organization"):
        serve("hbm2-pim", serve_config(model="llama2-70b", rate=1.0, requests=2))


def test_serve_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="max_batch"):
        serve_config(max_batch=0)
    with pytest.raises(ConfigError, match="prefill"):
        serve_config(prefill="eager")
    with pytest.raises(ConfigError, match="rate"):
        serve("hbm2-pim", serve_config(model="gpt2"))


@pytest.mark.slow  # over 2 s: run by CI's slow stage
def test_disaggregated_conserves_and_reports_two_devices():
    cfg = serve_config(model="gpt2", rate=20.0, requests=40, prompt="uniform:8:200",
                       output="uniform:1:40", disaggregate=True)  # fmt: skip
    result = serve("hbm2-pim", cfg, baseline=False)
    side = result.sides[0]
    s = side.summary
    assert s["requests"]["finished"] == 40
    assert s["tokens"]["output"] == s["tokens"]["requested_output_of_finished"]
    assert s["tco"]["devices"] == 2
    t = side.table
    assert np.all(t["finish_s"] >= t["arrival_s"] + t["ttft_s"] - 1e-12)
    assert s["little"]["occupancy_time_averaged"] == pytest.approx(
        s["little"]["occupancy_from_log"], rel=1e-9
    )


# -- outputs and CLI ----------------------------------------------------------------------------


@pytest.mark.slow  # over 2 s: run by CI's slow stage
def test_cli_serve_json_and_outputs(tmp_path):
    res = runner.invoke(
        app,
        ["serve", "hbm2-pim", "--model", "gpt2", "--rate", "10", "--requests", "20",
         "--json", "-", "--out", str(tmp_path / "o"), "--table-format", "csv"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data["sides"]) == {"baseline", "in_memory"}
    for side in data["sides"].values():
        assert side["requests"]["finished"] == 20
        assert side["tco"]["cost_usd_per_1m_tokens"] > 0
        assert 0 < side["busy"]["any"] <= 1
    files = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"summary.json", "latency_cdf.png", "requests_in_memory.csv"} <= files
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["model"] == "gpt2"


@pytest.mark.slow  # over 1 s: run by CI's slow stage
def test_cli_rate_sweep_finds_the_knee(tmp_path):
    res = runner.invoke(
        app,
        ["serve", "hbm2-pim", "--model", "gpt2", "--rates", "5,20", "--requests", "15",
         "--no-baseline", "--slo-tpot", "0.5", "--out", str(tmp_path)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    sweep = json.loads((tmp_path / "sweep.json").read_text())
    assert sweep["max_rate_meeting_slo"]["system"] == 20
    assert (tmp_path / "throughput_vs_rate.png").stat().st_size > 0


def test_cli_bad_trace_is_one_line_error(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "t.csv"
    bad.write_text("arrival_s,prompt_tokens,output_tokens\n0,5,5\n1,5,\n")
    proc = subprocess.run(
        [sys.executable, "-m", "archsim", "serve", "hbm2-pim", "--model", "gpt2", "--trace",
         str(bad)], capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "t.csv:3" in proc.stderr and "Traceback" not in proc.stderr


def test_sweep_serve_point_and_knee():
    from archsim.dse.point import make_task, run_task
    from archsim.dse.spec import SweepSpec
    from archsim.serving.sweep import max_rate_meeting_slo

    base = {"kind": "serve", "model": "gpt2", "requests": 12, "prompt": "fixed:64",
            "output": "fixed:16", "slo_tpot_s": 1e-3}  # fmt: skip
    spec = SweepSpec(name="s", system="hbm2-pim", workload=base,
                     parameters={"workload.rate": [2.0, 4.0]})  # fmt: skip
    spec.check_paths()
    rows = []
    for i, params in enumerate(spec.points()):
        result = run_task(make_task(i, params, 0, "hbm2-pim", base, "fast"))
        assert result["status"] == "ok", result["error"]
        m = result["metrics"]
        assert m["in_memory.requests.finished"] == 12
        assert m["in_memory.tco.cost_usd_per_1m_tokens"] > 0
        rows.append({**params, "system": "hbm2-pim", **m})
    assert max_rate_meeting_slo(rows, "in_memory") == {("hbm2-pim",): 4.0}
    bad = SweepSpec(name="s", system="hbm2-pim", workload=base,
                    parameters={"workload.max_bach": [1]})  # fmt: skip
    with pytest.raises(ConfigError, match="max_batch"):
        bad.check_paths()


def test_kv_cache_spans_parallel_devices_and_attention_devices():
    from archsim.serving.kv import kv_bytes_per_token, kv_layout, weight_bytes

    # Llama 2 70B: 80 layers x 8 KV heads x 128 x 2 (K, V) x 2 B = 327,680 B per token.
    assert kv_bytes_per_token("llama2-70b") == 327_680
    base = load_system("dgx-a100-hbm3")
    kv = kv_layout(base, "llama2-70b")
    pool = 8 * base.memory.organization.capacity_bytes * 0.9 - weight_bytes("llama2-70b")
    assert kv.blocks == int(pool // (16 * 327_680)) and kv.placement == "device memory"
    attacc = load_system("dgx-attacc")
    kv = kv_layout(attacc, "llama2-70b")
    pool = 8 * attacc.pim_memory.organization.capacity_bytes * 0.9
    assert kv.blocks == int(pool // (16 * 327_680))
    assert kv.placement.startswith("pim memory")


# -- action counts ------------------------------------------------------------------------------


def _priced_j(system, counts) -> float:
    from archsim.config.energy import EnergyTable
    from archsim.config.presets import load_yaml_model
    from archsim.system.side import Models

    table = load_yaml_model(EnergyTable, "energy", system.energy)
    return sum(Models.of(system, table).price(counts).energy.values()) * 1e-12


def _check_actions_price_to_energy(system_name, model, n, **extra):
    from archsim.simulate import baseline_of

    system = load_system(system_name)
    cfg = serve_config(model=model, rate=40.0, requests=n, prompt="uniform:8:200",
                       output="uniform:2:30", **extra)  # fmt: skip
    result = serve(system, cfg)
    systems = {"baseline": baseline_of(system), "in_memory": system}
    for side in result.sides:
        s = side.summary
        assert s["actions"], side.label
        assert any(k.endswith("run_time_s") or "run_time_s." in k for k in s["actions"])
        # The counts the serve adds up, priced by the system's own energy models, give the
        # energy it reports (dynamic work per iteration plus background over the window).
        priced = _priced_j(systems[side.label], s["actions"])
        assert priced == pytest.approx(s["energy"]["total_j"], rel=1e-6), side.label
    # The in-memory side's attention does in-memory work the baseline does not.
    pim = {k for k in result.sides[1].summary["actions"] if "pim" in k}
    assert pim and not pim & set(result.sides[0].summary["actions"])


@pytest.mark.slow  # over 2 s: run by CI's slow stage (the swapping case below stays fast)
def test_serve_action_counts_price_to_its_energy():
    _check_actions_price_to_energy("hbm2-pim", "gpt2", 30)


def test_serve_action_counts_price_to_its_energy_with_swapping():
    """Swap copies lengthen iterations: background power runs through them too."""
    from archsim.serving.kv import kv_bytes_per_token, weight_bytes

    system = load_system("hbm2-pim")
    room = weight_bytes("gpt2") + 20.5 * 16 * kv_bytes_per_token("gpt2")  # 20 blocks of KV
    fraction = room / system.memory.organization.capacity_bytes
    req = generate(12, 200.0, "uniform:60:100", "uniform:100:150", seed=1)
    cfg = serve_config(model="gpt2", preemption="swap", memory_fraction=fraction)
    s = serve(system, cfg, req, baseline=False).sides[0].summary
    assert s["swap"]["bytes"] > 0 and s["requests"]["finished"] == 12
    assert _priced_j(system, s["actions"]) == pytest.approx(s["energy"]["total_j"], rel=1e-6)


@pytest.mark.slow
def test_serve_action_counts_price_to_its_energy_attention_devices():
    _check_actions_price_to_energy("dgx-attacc", "llama2-7b", 30)
