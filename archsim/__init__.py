"""archsim: a cycle-approximate architecture simulator for compute-in-memory.

Nothing heavy is imported here: ``archsim --help`` and every subcommand pay only for the modules
they use (``__version__`` reads the package metadata on first access).
"""

from typing import Any

from archsim.jit import ensure_cache_dir

ensure_cache_dir()  # before any module imports numba


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from archsim.version import __version__

        return __version__
    raise AttributeError(f"module 'archsim' has no attribute {name!r}")


def replay(system, trace, fmt: str = "auto", **kwargs):
    """Replay a memory trace on a system; returns its
    :class:`archsim.records.replay.ReplayReport`."""
    from archsim.system.replay import replay as _replay

    return _replay(system, trace, fmt, **kwargs).report


def sweep(spec, executor="local", **kwargs):
    """Run a sweep (spec, preset name or YAML path); see :func:`archsim.dse.runner.sweep`."""
    from archsim.dse.runner import sweep as _sweep

    return _sweep(spec, executor, **kwargs)


__all__ = ["__version__", "replay", "sweep"]
