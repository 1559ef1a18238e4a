"""``trace info``: one summary for any trace, operator-level or memory-level.

Operator traces report (JSON keys are part of the interface): ``ops`` (stored ops),
``executed_ops`` (with repeats), ``params``, ``macs``, ``flops``, ``weight_bytes``,
``activation_bytes``, ``kv_cache_bytes``, ``bytes_moved`` (compulsory traffic of every execution),
``intensity`` (FLOPs per byte moved), ``by_kind`` and ``intensity_histogram``: executed ops and
their FLOPs per power-of-two bin of FLOPs/byte. Memory traces report request counts, reads,
writes and the address span.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from archsim.workload.graph import Workload

# Histogram edges in FLOPs per byte: [0, 1/8), [1/8, 1/4), ..., [2048, 4096), [4096, inf).
HIST_EDGES: tuple[float, ...] = (0.0, *(2.0**e for e in range(-3, 13)))


def _bin(intensity: float) -> int:
    if intensity < HIST_EDGES[1]:
        return 0
    return min(len(HIST_EDGES) - 1, math.floor(math.log2(intensity)) + 4)


def summarize(workload: Workload) -> dict[str, Any]:
    """The summary of an operator trace, JSON-ready."""
    totals = workload.totals()
    hist = [
        {"lo": lo, "hi": hi, "ops": 0, "flops": 0}
        for lo, hi in zip(HIST_EDGES, (*HIST_EDGES[1:], None), strict=True)
    ]
    by_kind: dict[str, dict[str, int]] = {}
    moved = 0
    for op in workload.ops:
        read = sum(op.bytes_read(workload).values())
        written = sum(op.bytes_written(workload).values())
        flops = op.flops()
        intensity = flops / (read + written) if read + written else 0.0
        row = hist[_bin(intensity)]
        row["ops"] += op.repeat
        row["flops"] += flops * op.repeat
        moved += (read + written) * op.repeat
        kind = by_kind.setdefault(op.kind, {"ops": 0, "executed_ops": 0, "macs": 0, "flops": 0})
        kind["ops"] += 1
        kind["executed_ops"] += op.repeat
        kind["macs"] += op.macs() * op.repeat
        kind["flops"] += flops * op.repeat
    return {
        "kind": "operator",
        "name": workload.name,
        "ops": len(workload.ops),
        "executed_ops": sum(op.repeat for op in workload.ops),
        "tensors": len(workload.tensors),
        **totals.model_dump(),
        "bytes_moved": moved,
        "intensity": totals.flops / moved if moved else 0.0,
        "by_kind": by_kind,
        "intensity_histogram": hist,
        "notes": list(workload.notes),
    }


def summarize_memory_trace(path: str | Path, fmt: str = "auto") -> dict[str, Any]:
    """Request counts, reads, writes and address span of a memory-level trace (streamed)."""
    import numpy as np

    from archsim.workload.memtrace import read_trace

    detected, blocks = read_trace(path, fmt)
    requests = writes = 0
    lo, hi = None, None
    t_first = t_last = None
    for block in blocks:
        n = len(block)
        if not n:
            continue
        requests += n
        writes += int(np.count_nonzero(block.is_write))
        bmin, bmax = int(block.address.min()), int(block.address.max())
        lo = bmin if lo is None else min(lo, bmin)
        hi = bmax if hi is None else max(hi, bmax)
        if t_first is None:
            t_first = int(block.arrival[0])
        t_last = int(block.arrival[-1])
    if not requests:
        from archsim.errors import TraceError

        raise TraceError(str(path), None, "the trace holds no requests (only a header, or empty)")
    return {
        "kind": "memory",
        "name": Path(path).name,
        "format": detected,
        "requests": requests,
        "reads": requests - writes,
        "writes": writes,
        "address_min": lo or 0,
        "address_max": hi or 0,
        "address_span": (hi - lo + 1) if requests else 0,
        "first_arrival": t_first or 0,
        "last_arrival": t_last or 0,
        "time_unit": {"native": "ps", "dramsim3": "cycle"}.get(detected),
    }


def summarize_any(name: str) -> dict[str, Any]:
    """A trace file of any kind, a workload preset, or a sample memory trace, summarized."""
    from archsim.config.presets import list_presets
    from archsim.workload.formats import format_of, read_workload

    path = Path(name)
    if path.is_dir():
        from archsim.errors import ArchsimError

        raise ArchsimError(f"{name}: is a directory, not a trace file")
    if path.is_file():
        if format_of(path) is not None:
            return summarize(read_workload(path))
        return summarize_memory_trace(path)
    if name in list_presets("workloads"):
        from archsim.workload.presets import load_workload

        return summarize(load_workload(name))
    from archsim.workload.samples import resolve_trace

    return summarize_memory_trace(resolve_trace(name))


def _si(value: float, unit: str = "") -> str:
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3f} {prefix}{unit}"
    return f"{value:g} {unit}".rstrip()


def summary_table(summary: dict[str, Any]):
    """A rich table of a summary."""
    from rich.table import Table

    table = Table(title=f"{summary['name']} ({summary['kind']} trace)")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    if summary["kind"] == "memory":
        for key in ("format", "requests", "reads", "writes"):
            value = summary[key]
            table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
        table.add_row(
            "address range", f"0x{summary['address_min']:x} - 0x{summary['address_max']:x}"
        )
        table.add_row("address span", _si(summary["address_span"], "B"))
        if summary["time_unit"]:
            table.add_row(
                "arrivals",
                f"{summary['first_arrival']:,} - {summary['last_arrival']:,}"
                f" {summary['time_unit']}",
            )
        return table
    table.add_row("ops (stored / executed)", f"{summary['ops']:,} / {summary['executed_ops']:,}")
    table.add_row("params", f"{summary['params']:,}")
    table.add_row("macs", f"{summary['macs']:,}")
    table.add_row("flops", f"{summary['flops']:,}")
    for key in ("weight_bytes", "activation_bytes", "kv_cache_bytes", "bytes_moved"):
        table.add_row(key, f"{summary[key]:,} ({_si(summary[key], 'B')})")
    table.add_row("intensity", f"{summary['intensity']:.3g} FLOP/B")
    for kind, row in summary["by_kind"].items():
        table.add_row(f"  {kind}", f"{row['executed_ops']:,} runs, {_si(row['flops'], 'FLOP')}")
    for row in summary["intensity_histogram"]:
        if row["ops"]:
            hi = "inf" if row["hi"] is None else f"{row['hi']:g}"
            table.add_row(
                f"  intensity [{row['lo']:g}, {hi})",
                f"{row['ops']:,} runs, {_si(row['flops'], 'FLOP')}",
            )
    return table
