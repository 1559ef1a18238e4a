"""Package version, read from the installed distribution metadata."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("archsim")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"
