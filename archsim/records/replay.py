"""The result of a memory-level trace replay (``archsim replay``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from rich.table import Table


class ReplayReport(BaseModel):
    """Keys are the interface contract of ``archsim replay --json`` (docs/design.md section 5)."""

    model_config = ConfigDict(frozen=True)

    archsim_version: str
    system: str
    trace: str
    format: str
    requests: int
    reads: int
    writes: int
    cycles: int = Field(description="memory-clock (tCK) cycles until the last data beat")
    time_ns: float
    bandwidth_gbps: float = Field(description="achieved data bandwidth in GB/s (1e9 bytes/s)")
    peak_bandwidth_gbps: float = Field(description="interface peak in GB/s")
    row_hit_rate: float = Field(description="requests served without an activation of their own")
    avg_latency_ns: float = Field(description="mean read latency, queue entry to last data beat")
    p99_latency_ns: float
    energy_pj: dict[str, float] = Field(
        description="act_pre, read, write, refresh, background, io, and their total"
    )
    commands: dict[str, int] = Field(description="issued DRAM commands by type")

    def table(self) -> Table:
        name = self.trace.replace("\\", "/").rsplit("/", 1)[-1]
        t = Table(title=f"archsim replay: {name} on {self.system}", show_header=False)
        t.add_column("metric", style="bold")
        t.add_column("value", justify="right")
        rows = [
            ("requests (reads / writes)", f"{self.requests:,} ({self.reads:,} / {self.writes:,})"),
            ("simulated time", f"{self.time_ns:,.1f} ns ({self.cycles:,} tCK)"),
            (
                "bandwidth",
                f"{self.bandwidth_gbps:.2f} GB/s of {self.peak_bandwidth_gbps:.1f}"
                f" ({100 * self.bandwidth_gbps / self.peak_bandwidth_gbps:.1f}% of peak)",
            ),
            ("row hit rate", f"{100 * self.row_hit_rate:.1f}%"),
            ("read latency avg / p99", f"{self.avg_latency_ns:.1f} / {self.p99_latency_ns:.1f} ns"),
            ("commands", ", ".join(f"{k} {v:,}" for k, v in self.commands.items() if v)),
        ]
        for k in ("act_pre", "read", "write", "refresh", "background", "io"):
            rows.append((f"energy: {k}", f"{self.energy_pj[k] / 1e6:,.3f} µJ"))
        rows.append(("energy: total", f"{self.energy_pj['total'] / 1e6:,.3f} µJ"))
        for k, v in rows:
            t.add_row(k, v)
        return t
