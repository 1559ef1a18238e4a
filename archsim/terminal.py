"""Consoles for the command line, created (and rich imported) on first use.

Every CLI module holds its consoles at module level; creating a ``rich.console.Console`` there
would import rich (~40 ms) for ``archsim --help`` and for commands that print nothing.
"""

from __future__ import annotations

from typing import Any


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

            self._console = Console(**self._kwargs)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)
