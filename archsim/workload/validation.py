"""Workload presets vs published parameter and MAC counts, as validation studies.

Each study is a :class:`archsim.study.Study` (model value, published reference,
relative error, 1% bound), so ``archsim validate`` can list them beside the DRAM studies.
"""

from __future__ import annotations

from archsim.study import Study
from archsim.workload.models import CNN_MODELS, ENCODER_MODELS, LLM_MODELS, PUBLISHED

BOUND = 0.01  # the acceptance: within 1% of the published figure


def _workload(model: str):
    from archsim.workload.cnn import cnn_workload
    from archsim.workload.transformer import encoder_workload, llm_workload

    setting = PUBLISHED[model].macs_setting
    if model in LLM_MODELS:
        return llm_workload(model, "decode", batch=1, context=128)
    if model in ENCODER_MODELS:
        return encoder_workload(model, **setting)
    return cnn_workload(model, **setting)


def workload_studies() -> list[Study]:
    studies = []
    for model in (*LLM_MODELS, *ENCODER_MODELS, *CNN_MODELS):
        published = PUBLISHED[model]
        totals = _workload(model).totals()
        studies.append(
            Study(
                model,
                "parameters",
                "count",
                totals.params,
                published.params,
                BOUND,
                kind="external",
                citation=published.params_source,
            )
        )
        if published.macs:
            setting = ", ".join(f"{k} {v}" for k, v in published.macs_setting.items())
            studies.append(
                Study(
                    model,
                    f"MACs ({setting})",
                    "count",
                    totals.macs,
                    published.macs,
                    BOUND,
                    kind="external",
                    citation=published.macs_source or "",
                )
            )
    return studies


def sources() -> dict[str, list[str]]:
    """Where each published figure comes from."""
    out: dict[str, list[str]] = {}
    for model, pub in PUBLISHED.items():
        out[model] = [pub.params_source] + ([pub.macs_source] if pub.macs_source else [])
    return out
