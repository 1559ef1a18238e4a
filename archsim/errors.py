"""User-facing errors: the CLI prints these as one clear message, never a traceback."""

from __future__ import annotations


class ArchsimError(Exception):
    """An error caused by the user's input (config, trace, arguments), with a readable message."""


class ConfigError(ArchsimError):
    """A configuration that fails validation; the message lists each field path and problem."""


class TraceError(ArchsimError):
    """A trace that cannot be read; the message names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        super().__init__(path, line, message)  # args kept so the error can be re-raised as is
        self.path = path
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"
