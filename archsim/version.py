"""Package version, read from the installed distribution metadata (or, in a source tree
without an install, from pyproject.toml, marked ``+source``)."""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def _source_version() -> str:
    try:
        import tomllib

        with open(Path(__file__).resolve().parents[1] / "pyproject.toml", "rb") as f:
            return f"{tomllib.load(f)['project']['version']}+source"
    except (OSError, KeyError, ValueError):
        return "0.0.0+source"


try:
    __version__ = version("archsim")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = _source_version()
