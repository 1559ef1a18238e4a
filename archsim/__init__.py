"""archsim: a cycle-approximate architecture simulator for compute-in-memory."""

from archsim.version import __version__


def replay(system, trace, fmt: str = "auto", **kwargs):
    """Replay a memory trace on a system; returns the :class:`archsim.report.ReplayReport`."""
    from archsim.memory.replay import replay as _replay

    return _replay(system, trace, fmt, **kwargs).report


def sweep(spec, executor="local", **kwargs):
    """Run a sweep (spec, preset name or YAML path); see :func:`archsim.dse.runner.sweep`."""
    from archsim.dse.runner import sweep as _sweep

    return _sweep(spec, executor, **kwargs)


__all__ = ["__version__", "replay", "sweep"]
