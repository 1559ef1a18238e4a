"""Run an ``archsim`` command line for a test: in this process when it can, else in a new one.

Each new interpreter costs about half a second (imports, numba's kernel loading), which over the
CLI tests was a tenth of the default suite. A command runs in-process through
:func:`archsim.cli.execute` (the console entry point's body: exit codes and one-line errors are
the same) with its standard streams captured. A test that passes ``cwd`` wants what a user's
fresh process sees from another directory (the installed package's data, say): it still gets
a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def archsim(*args, cwd=None):
    argv = [str(a) for a in args]
    if cwd is not None:
        return subprocess.run(
            [sys.executable, "-m", "archsim", *argv],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=600,
        )
    from archsim.cli import execute

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = execute(argv)
    return Result(argv, code, out.getvalue(), err.getvalue())
