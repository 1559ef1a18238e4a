"""Output files: checked before any work starts, written atomically (temp file + rename).

Every command that writes a file checks its path with :func:`check_output` before it simulates
(a typo in ``--json nodir/out.json`` costs nothing), then writes through :func:`atomic_write`
or :func:`write_text`: the data goes to a hidden temp file beside the target and is renamed
over it only once complete, so an error, a full disk or a kill leaves the old file or none,
never half of one. Temp files left by a killed process (``.NAME.*.tmp``) are removed by the
next write to the same target.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from archsim.errors import ArchsimError

_TMP_SUFFIX = ".tmp"


def check_output(
    path: str | os.PathLike,
    option: str,
    *,
    suffixes: tuple[str, ...] | None = None,
    overwrite: bool = True,
) -> Path:
    """Refuse an output path that cannot be written, before the work that would fill it.

    ``option`` names the command-line option in the message. ``suffixes`` (lower case, with
    the dot) lists the accepted file types; ``overwrite=False`` refuses an existing file.
    """
    target = Path(path)
    label = f"{option} {path}" if option else str(path)
    if str(path) == "":
        raise ArchsimError(f"{option}: an empty path")
    if target.is_dir():
        raise ArchsimError(f"{label}: is a directory, not a file")
    if target.exists() and not target.is_file():
        raise ArchsimError(f"{label}: not a regular file (a device or pipe cannot be written)")
    if target.exists() and not overwrite:
        raise ArchsimError(f"{label}: already exists; remove it or choose another path")
    parent = target.parent
    if not parent.is_dir():
        raise ArchsimError(f"{label}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ArchsimError(f"{label}: directory {parent} is not writable")
    if suffixes is not None:
        name = target.name.lower()
        if not name.endswith(tuple(suffixes)):
            raise ArchsimError(
                f"{label}: unsupported file type {target.suffix or '(none)'!r};"
                f" use {', '.join(suffixes)}"
            )
    return target


def check_output_dir(path: str | os.PathLike, option: str) -> Path:
    """Refuse an output directory that is a file or whose parent does not exist."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise ArchsimError(f"{option} {path}: exists and is not a directory")
    if not target.exists():
        if not target.parent.is_dir():
            raise ArchsimError(f"{option} {path}: directory {target.parent} does not exist")
        if not os.access(target.parent, os.W_OK | os.X_OK):
            raise ArchsimError(f"{option} {path}: directory {target.parent} is not writable")
    elif not os.access(target, os.W_OK | os.X_OK):
        raise ArchsimError(f"{option} {path}: directory is not writable")
    return target


def _clean_stale(target: Path) -> None:
    """Remove temp files a killed writer left beside ``target`` (``.NAME.*.tmp``)."""
    with contextlib.suppress(OSError):
        for stale in target.parent.glob(f".{target.name}.*{_TMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                if stale.is_file():
                    stale.unlink()


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success it is renamed onto ``path``, on any error
    it is removed (the target keeps its old content, or stays absent)."""
    target = Path(path)
    if target.exists() and not target.is_file():
        # Never rename over a device, pipe or directory (as root, /dev/full would be replaced).
        raise ArchsimError(f"{path}: not a regular file; refusing to replace it")
    _clean_stale(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_TMP_SUFFIX, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        else:
            with contextlib.suppress(OSError):
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_write(path) as tmp:
        tmp.write_text(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)


def emit_json(text: str, destination: str | None) -> None:
    """``-`` prints to stdout, a path is written atomically, ``None`` does nothing."""
    import sys

    if destination == "-":
        sys.stdout.write(text + "\n")
    elif destination:
        write_text(destination, text + "\n")


def _non_finite(value, path: str = "") -> str | None:
    """The field path of the first NaN or infinity in a JSON payload, or None."""
    if isinstance(value, float):
        return None if value == value and value not in (float("inf"), float("-inf")) else path
    if isinstance(value, dict):
        for k, v in value.items():
            found = _non_finite(v, f"{path}.{k}" if path else str(k))
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _non_finite(v, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _rounded(value):
    """Floats with binary noise cleaned (``16383.999999999998`` -> ``16384.0``, ``0.1 + 0.2`` ->
    ``0.3``): a value within 1e-12 relative of a 10-significant-digit decimal is written as that
    decimal; every other value is written exactly as computed."""
    if isinstance(value, float):
        short = float(f"{value:.10g}")
        return short if abs(short - value) <= 1e-12 * abs(value) else value
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def dump_json(payload) -> str:
    """Indented JSON of a report; NaN or infinity (invalid JSON) is an error naming the field."""
    import json

    bad = _non_finite(payload)
    if bad is not None:
        raise ArchsimError(
            f"the result has a NaN or infinite value at {bad or 'the top level'}; nothing was"
            " written (check the inputs that feed it)"
        )
    return json.dumps(_rounded(payload), indent=2)
