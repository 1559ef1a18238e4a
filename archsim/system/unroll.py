"""Repeated layers as one job each, for schedules where folding them is not exact.

A workload stores identical layers once (``repeat`` r); the engine runs such an op as one job
with r times the work, which is exact alone and tested equal to unrolled layers when nothing
interleaves. With sub-batches (:mod:`archsim.system.subbatch`) it is not: the host runs one
sub-batch's FC layers while the memory runs the other's attention *layer by layer*, and a
folded op would make all r layers of one op finish before the next op of any layer starts.
:func:`unroll` gives each layer its own jobs: layer ``i``'s ops wait for their producers in
layer ``i`` and, where an op's input comes from before the layers (the layer input), for
layer ``i - 1``'s last ops (its sinks) of the same sub-batch.
"""

from __future__ import annotations

from dataclasses import replace

from archsim.system.engine import OpJob, OpSpan

SEP = "#"


def layer_name(name: str, layer: int) -> str:
    return f"{name}{SEP}{layer}"


def folded_name(name: str) -> str:
    """The stored op a job of :func:`unroll` belongs to (``name`` itself if not unrolled)."""
    base, sep, layer = name.rpartition(SEP)
    return base if sep and layer.isdigit() else name


def unroll(jobs: list[OpJob]) -> list[OpJob]:
    """``jobs`` with every repeated job (one layer count r) as r single-layer jobs."""
    counts = {job.repeat for job in jobs if job.repeat > 1}
    if not counts:
        return jobs
    if len(counts) > 1:
        raise ValueError(f"unroll needs one layer count, got {sorted(counts)}")
    layers = counts.pop()
    repeated = {job.name for job in jobs if job.repeat == layers}
    # A layer ends with its sinks: the repeated jobs no other repeated job waits for.
    used = {a for job in jobs if job.name in repeated for a in job.after}
    sinks: dict[int, list[str]] = {}
    for job in jobs:
        if job.name in repeated and job.name not in used:
            sinks.setdefault(job.priority, []).append(job.name)
    out: list[OpJob] = []
    for job in jobs:
        if job.name not in repeated:
            after = tuple(
                layer_name(a, layers - 1) if a in repeated else a for a in job.after
            )  # fmt: skip
            out.append(replace(job, after=after))
            continue
        inner = [a for a in job.after if a in repeated]
        outer = [a for a in job.after if a not in repeated]
        for i in range(layers):
            after = [layer_name(a, i) for a in inner]
            if i == 0:
                after += outer
            elif not inner:
                after += [layer_name(a, i - 1) for a in sinks[job.priority]]
            out.append(replace(job, name=layer_name(job.name, i), after=tuple(after), repeat=1))
    return out


def fold_spans(spans: list[OpSpan]) -> dict[str, OpSpan]:
    """Each stored op's span: from its first layer's start to its last layer's end."""
    out: dict[str, OpSpan] = {}
    for span in spans:
        name = folded_name(span.name)
        seen = out.get(name)
        if seen is None:
            out[name] = replace(span, name=name)
        else:
            out[name] = replace(
                seen,
                start_ns=min(seen.start_ns, span.start_ns),
                end_ns=max(seen.end_ns, span.end_ns),
                holds=seen.holds + span.holds,
            )
    return out
