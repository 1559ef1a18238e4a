"""Sample memory traces shipped with archsim (``traces/`` in the source tree)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from archsim.errors import TraceError


def _folder() -> Path:
    try:
        return Path(str(resources.files("archsim.sample_traces")))
    except ModuleNotFoundError:  # imported from a source tree without an install
        return Path(__file__).resolve().parents[2] / "traces"


def _samples() -> dict[str, Path]:
    folder = _folder()
    if not folder.is_dir():
        return {}
    return {
        p.name.split(".", 1)[0]: p
        for p in sorted(folder.iterdir())
        if p.name.endswith((".trace", ".trace.gz"))
    }


def list_samples() -> list[str]:
    return sorted(_samples())


def resolve_trace(name: str) -> Path:
    """A trace path, or the file of a sample trace name (see ``archsim presets``)."""
    path = Path(name)
    if path.exists():
        return path
    samples = _samples()
    if name in samples:
        return samples[name]
    raise TraceError(
        name, None, f"no such file, and not a sample trace (samples: {', '.join(samples)})"
    )
