"""Consoles for the command line, created (and rich imported) on first use.

Every CLI module holds its consoles at module level; creating a ``rich.console.Console`` there
would import rich (~40 ms) for ``archsim --help`` and for commands that print nothing.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Width of output that is piped or redirected (no terminal to fit): wide enough that a report
# table keeps each row on one line (at rich's default of 80 columns, cells wrapped mid-row and
# broke grep and diff). COLUMNS, when set, wins.
PIPED_WIDTH = 160


class LazyConsole:
    """Stands in for a ``rich.console.Console(**kwargs)``, made on the first attribute read."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._console = None

    @property
    def console(self):
        """The real ``Console`` (for rich objects that take one, such as ``Progress``)."""
        if self._console is None:
            from rich.console import Console

            kwargs = dict(self._kwargs)
            stream = sys.stderr if kwargs.get("stderr") else sys.stdout
            if "width" not in kwargs and not os.environ.get("COLUMNS"):
                try:
                    piped = not stream.isatty()
                except (AttributeError, ValueError):
                    piped = True
                if piped:
                    kwargs["width"] = PIPED_WIDTH
            self._console = Console(**kwargs)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)
