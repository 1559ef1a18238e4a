"""System-level studies: whole systems against another tool's outputs and published results.

External references (``kind="external"``), each set up as its source describes:

* AttAcc's DGX baseline (scale-snu/attacc_simulator@c6000514, ``python main.py --system dgx
  --gpu A100a --ngpu 8``, GPT-3 175B, Lin 2048, Lout 128, FP16; generation-stage throughput
  in tokens/s, run unmodified by us): our ``dgx-a100-hbm3`` at the mean decode context
  (2048 + 64). AttAcc derates the GPU to 85% of its memory bandwidth and 80% of its FLOPS; our
  DRAM model streams at what the command kernel times and the host tiles GEMMs over all its
  arrays, so every batch is memory-bound here and runs 22-35% faster: the batch-1, 4 and 32
  misses are that finding.
* AttAcc's speedup of DGX+AttAcc over DGX at batch 1 (same artifact, ``--system dgx-attacc
  --powerlimit --ffopt --pipeopt``): 1.82x. AttAcc's ``--ffopt`` also runs the FC layers on the
  attention devices (weights copied into them); ``dgx-attacc`` keeps weights in the GPUs'
  memory, so attention alone moves and the gain at batch 1 is small: a documented finding.
* The same artifact with attention offload only (``--system dgx-attacc --pim bank
  --powerlimit``, no ``--ffopt``/``--pipeopt``: the design of ``dgx-attacc``) at batch 32, the one
  batch whose bank-level PIM timings its shipped Ramulator 2 results (``ramulator.out``) cover
  without rebuilding its patched Ramulator: 991.65 tokens/s, 1.443x over DGX.

* CENT (Gu et al., ASPLOS 2025; artifact github Morteza1814/CENT@a5d6e53), Llama2-70B
  decode: the CENT simulator's throughput of its 32 CXL-PIM devices (pipeline 80, one block per
  10 channels, 80 queries in flight), the mean of cent_simulation/simulation_results.csv over
  positions 640 to 4096 (PP 80, TP 1): 1150.78 tokens/s, against ``cent-cxl-pim`` at the mean
  decode context (2304); the four A100 GPUs' measured decode throughput at batch 128
  (data/GPU_throughput.csv: 917 tokens/s) against ``a100x4``; and their ratio (1.255x,
  figure_source_data/figure_13b.csv). The measured GPUs run at about a fifth of their
  memory-bandwidth roofline for this step (software, not hardware); archsim models the
  hardware, so the GPU rows are documented findings.

* NeuPIMs (Heo et al., ASPLOS 2024): NeuPIMs over its NPU-only baseline (the same NPU and
  HBM2 without PIM), 2.4x throughput (abstract and section 1: the average over GPT-3 7B to
  175B, ShareGPT and Alpaca, batch 64 to 512). Set up at the one configuration its artifact
  ships traces for (casys-kaist/NeuPIMs@f299af3: GPT-3 7B, tensor parallel 4, ShareGPT, batch
  512, mean context 300): one device's shard of ``gpt3-6.7b`` decode on ``npu-neupims`` and its
  twin; NeuPIMs simulates one device without inter-device traffic, and so does this study.

GPT-3's learned position table has 2048 rows; AttAcc's set-up decodes up to position 2176, so
these studies extend the table to 2176 rows (0.002% of the weights).
"""

from __future__ import annotations

from archsim.study import Study

ATTACC = (
    "AttAcc simulator scale-snu/attacc_simulator@c6000514 (Park et al., ASPLOS 2024), run"
    " unmodified: main.py --system dgx --gpu A100a --ngpu 8, GPT-3 175B, Lin 2048, Lout 128,"
    " FP16; generation throughput"
)
# Generation-stage throughput of the DGX baseline, tokens/s, by batch (the artifact's output).
ATTACC_DGX_TOKENS_PER_S = {1: 32.22, 4: 126.42, 16: 441.03, 32: 687.10}
ATTACC_BATCH1_SPEEDUP = 1.82  # --system dgx-attacc --powerlimit --ffopt --pipeopt, batch 1
# --system dgx-attacc --pim bank --powerlimit (attention offload only, as dgx-attacc), batch 32:
# its PIM timing read from the Ramulator 2 results the artifact ships (ramulator.out, nhead 77).
ATTACC_OFFLOAD_TOKENS_PER_S = {32: 991.65}
TOLERANCE = 0.25  # the bar for system-level throughput and its ratios
# Where the memory streams dominate the step: +35%, +30%, +27% measured (batch 16: +22%, inside).
_DERATE_BATCHES = (1, 4, 32)

_DERATE = (
    "AttAcc derates the GPU to 85% of its memory bandwidth (and 80% of its FLOPS); archsim's DRAM"
    " model streams the weights at what the command kernel times, so the weight-bound small"
    " batches run faster here"
)
_FFOPT = (
    "AttAcc's --ffopt also runs the FC layers on the attention devices (weights copied into"
    " them); dgx-attacc keeps weights in the GPUs' memory and moves attention only, which at"
    " batch 1 is a small share of the step"
)


CENT = (
    "CENT artifact github Morteza1814/CENT@a5d6e53 (Gu et al., ASPLOS 2025), Llama2-70B, prompt"
    " 512, decode 3584"
)
CENT_TOKENS_PER_S = 1150.78  # CENT simulator, PP 80 x TP 1, mean over decode positions
CENT_GPU_TOKENS_PER_S = 917.0  # four GPUs, batch 128, measured (data/GPU_throughput.csv)
CENT_DECODE_RATIO = 1.25494  # figure_source_data/figure_13b.csv, decoding, Llama2-70B
CENT_CONTEXT = 512 + 3584 // 2  # the mean decode position
_MEASURED_GPU = (
    "the GPUs were measured with a serving stack reaching about a fifth of their HBM roofline on"
    " this step (128 x 917 tokens/s is 140 ms per step; the weights and KV cache stream in about"
    " 30 ms at 2 TB/s per GPU); archsim models the hardware, not that software"
)


NEUPIMS = (
    "NeuPIMs (Heo et al., ASPLOS 2024), abstract and section 1: 2.4x over NPU-only, the average"
    " over GPT-3 7B-175B, ShareGPT and Alpaca, batch 64-512; set up at the artifact's shipped"
    " trace point (casys-kaist/NeuPIMs@f299af3: GPT-3 7B, TP 4, ShareGPT, batch 512)"
)
NEUPIMS_SPEEDUP = 2.4
NEUPIMS_BATCH, NEUPIMS_CONTEXT, NEUPIMS_TP = 512, 300, 4  # ShareGPT trace 0: mean 299.9


def _gpt3():
    from archsim.workload.models import TRANSFORMERS

    return TRANSFORMERS["gpt3-175b"].model_copy(update={"max_positions": 2176})


def system_studies() -> list[Study]:
    from archsim.simulate import simulate
    from archsim.workload.transformer import llm_workload

    out = []
    spec = _gpt3()
    for batch, reference in ATTACC_DGX_TOKENS_PER_S.items():
        wl = llm_workload(spec, "decode", batch=batch, context=2048 + 64)
        report = simulate("dgx-attacc", wl).report
        tokens = batch / (report.baseline.time_ns * 1e-9)
        study = Study(
            "dgx-a100-hbm3",
            f"GPT-3 175B decode throughput, batch {batch}",
            "tokens/s",
            tokens,
            reference,
            TOLERANCE,
            kind="external",
            citation=ATTACC,
        )
        if batch in _DERATE_BATCHES:
            study = _with_finding(study, _DERATE)
        out.append(study)
        if batch == 1:
            ratio = report.comparison.speedup
            study = Study(
                "dgx-attacc",
                "GPT-3 175B decode speedup over DGX, batch 1",
                "x",
                ratio,
                ATTACC_BATCH1_SPEEDUP,
                TOLERANCE,
                kind="external",
                citation=ATTACC.replace(
                    "--system dgx ", "--system dgx-attacc --powerlimit --ffopt --pipeopt "
                ),
            )
            out.append(_with_finding(study, _FFOPT))
        if batch in ATTACC_OFFLOAD_TOKENS_PER_S:
            offload = ATTACC_OFFLOAD_TOKENS_PER_S[batch]
            citation = (
                ATTACC.replace("--system dgx ", "--system dgx-attacc --pim bank --powerlimit ")
                + " (its shipped Ramulator 2 results, ramulator.out)"
            )
            system_tokens = batch / (report.in_memory.time_ns * 1e-9)
            out.append(
                Study("dgx-attacc", f"GPT-3 175B decode throughput, attention offloaded, batch"
                      f" {batch}", "tokens/s", system_tokens, offload, TOLERANCE,
                      kind="external", citation=citation)
            )  # fmt: skip
            out.append(
                Study("dgx-attacc", f"GPT-3 175B decode speedup over DGX, batch {batch}", "x",
                      report.comparison.speedup, offload / reference, TOLERANCE,
                      kind="external", citation=citation)
            )  # fmt: skip
    out.extend(_cent_studies())
    out.append(_neupims_study())
    return out


def _neupims_study() -> Study:
    from archsim.config.presets import load_system, parse_assignments
    from archsim.simulate import simulate
    from archsim.system.parallel import shard
    from archsim.workload.transformer import llm_workload

    whole = llm_workload("gpt3-6.7b", "decode", batch=NEUPIMS_BATCH, context=NEUPIMS_CONTEXT)
    device, _ = shard(whole, NEUPIMS_TP)  # one device's shard, its collectives left out
    # NeuPIMs interleaves two sub-batches from batch 256 on (its README).
    system = load_system("npu-neupims", parse_assignments(["mapping.sub_batches=2"]))
    speedup = simulate(system, device).report.comparison.speedup
    return Study(
        "npu-neupims",
        f"GPT-3 6.7B decode speedup over NPU-only, batch {NEUPIMS_BATCH}",
        "x",
        speedup,
        NEUPIMS_SPEEDUP,
        TOLERANCE,
        kind="external",
        citation=NEUPIMS,
    )


def _cent_studies() -> list[Study]:
    from archsim.simulate import simulate
    from archsim.workload.transformer import llm_workload

    queries = load_queries()
    cent = simulate("cent-cxl-pim", llm_workload("llama2-70b", "decode", batch=queries,
                                                 context=CENT_CONTEXT))  # fmt: skip
    cent_tokens = queries / (cent.report.in_memory.time_ns * 1e-9)
    gpu = simulate("a100x4", llm_workload("llama2-70b", "decode", batch=128, context=CENT_CONTEXT))
    gpu_tokens = 128 / (gpu.report.baseline.time_ns * 1e-9)
    name = "Llama2-70B decode throughput"
    return [
        Study("cent-cxl-pim", f"{name}, 80 queries in flight", "tokens/s", cent_tokens,
              CENT_TOKENS_PER_S, TOLERANCE, kind="external",
              citation=f"{CENT}; cent_simulation/simulation_results.csv, PP 80, TP 1"),
        _with_finding(
            Study("a100x4", f"{name}, batch 128", "tokens/s", gpu_tokens, CENT_GPU_TOKENS_PER_S,
                  TOLERANCE, kind="external",
                  citation=f"{CENT}; data/GPU_throughput.csv (four GPUs, measured)"),
            _MEASURED_GPU,
        ),
        _with_finding(
            Study("cent-cxl-pim", "Llama2-70B decode throughput over four GPUs", "x",
                  cent_tokens / gpu_tokens, CENT_DECODE_RATIO, TOLERANCE, kind="external",
                  citation=f"{CENT}; figure_source_data/figure_13b.csv, decoding"),
            _MEASURED_GPU,
        ),
    ]  # fmt: skip


def load_queries() -> int:
    """Queries in flight on cent-cxl-pim: one per pipeline stage."""
    from archsim.config.presets import load_system

    return load_system("cent-cxl-pim").parallel.micro_batches


def _with_finding(study: Study, why: str) -> Study:
    import dataclasses

    return dataclasses.replace(study, finding=why)
