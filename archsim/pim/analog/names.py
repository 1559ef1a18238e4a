"""Names of the built-in device models and peripheries, for the CLI's help.

Read from the preset folders without loading the analog models or the config schemas, so help
stays fast; a new device model is still one YAML file in ``configs/devices/``.
"""

from importlib import resources
from pathlib import Path


def _names(kind: str) -> tuple[str, ...]:
    try:
        folder = resources.files("archsim.presets").joinpath(kind)
    except ModuleNotFoundError:  # a source tree without an install: configs/ beside the package
        folder = Path(__file__).resolve().parents[3] / "configs" / kind
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")))


DEVICES = _names("devices")
PERIPHERIES = _names("periphery")
