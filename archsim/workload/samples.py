"""Sample memory traces shipped with archsim (``traces/`` in the source tree)."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from archsim.errors import TraceError


def _folder() -> Traversable | Path:
    try:
        return resources.files("archsim.sample_traces")
    except ModuleNotFoundError:  # imported from a source tree without an install
        return Path(__file__).resolve().parents[2] / "traces"


def sample_folder() -> Traversable | Path:
    """The folder of the sample traces (and their README)."""
    return _folder()


def _samples() -> dict[str, Path]:
    folder = _folder()
    if not folder.is_dir():
        return {}
    # Installed package data lives in a plain directory, so each entry is a real file path.
    return {
        p.name.split(".", 1)[0]: Path(str(p))
        for p in sorted(folder.iterdir(), key=lambda p: p.name)
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
