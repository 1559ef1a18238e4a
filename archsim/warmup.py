"""``archsim warmup``: compile (or load) every numba kernel through the code paths that use them,
so benchmarks, sweeps and the next run start warm (see archsim.jit)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from archsim.jit import CompileLog, compile_notice


# Each step runs real code paths on small inputs, so the kernels compile for the same argument
# types as a real run (a kernel compiled for other types would compile again on first use).
def _run_system() -> None:
    from archsim.simulate import simulate
    from archsim.workload.generators import gemv_workload

    # The smallest GEMV the in-bank PIM maps: host, DRAM streams and the PIM programs.
    simulate("hbm2-pim", gemv_workload(m=256, k=256))


def _replay_and_check() -> None:
    from archsim.config.presets import load_system
    from archsim.memory.checker import check_command_log
    from archsim.memory.command_log import CommandLogWriter
    from archsim.system.replay import replay
    from archsim.workload.memtrace import write_trace
    from archsim.workload.memtrace_gen import MemoryTraceSpec, generate

    with tempfile.TemporaryDirectory(prefix="archsim-warmup-") as work:
        spec = MemoryTraceSpec("random", 200, 0.7, 1 << 20)
        for fmt in ("native", "ramulator", "dramsim3"):
            trace = Path(work) / f"t.{fmt}.trace"
            write_trace(trace, *generate(spec), fmt)
            replay("ddr4-3200", trace, fmt)
        cfg = load_system("ddr4-3200")
        log_path = Path(work) / "commands.log"
        writer = CommandLogWriter(log_path, cfg, "ddr4-3200")
        replay(cfg, Path(work) / "t.native.trace", "native", command_log=writer.write)
        writer.close()
        check_command_log(log_path, None)


def _analog() -> None:
    from archsim.pim.analog.study import run_mvm

    run_mvm("pcm", "default", 16, 16, 2, "uniform", 0.0, "global", 1, None)


WARM_STEPS = (
    ("a run (host, DRAM, in-bank PIM)", _run_system),
    ("a replay of each trace format and a command-log check", _replay_and_check),
    ("an analog tile", _analog),
)


def warm_up(console: Any) -> CompileLog:
    """Compile (or load) every kernel; returns what had to be compiled."""
    with compile_notice(console) as log:
        for label, step in WARM_STEPS:
            console.print(f"warming: {label}", highlight=False)
            step()
    return log
