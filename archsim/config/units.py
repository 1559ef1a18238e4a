"""Unit strings at the config boundary.

YAML takes quantities with units ("14ns", "3200MT/s", "3.9pJ/bit", "1.2V", "60mA"); Python code
only ever sees SI floats or integer picoseconds. Each dimension lists the units it accepts, so a
wrong unit is an error that names what would have been right.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-zµ/%_0-9.]*)\s*$")

# dimension -> {unit: factor to the SI unit named first}
UNITS: dict[str, dict[str, float]] = {
    "time": {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12},
    "frequency": {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9},
    "rate": {  # transfers per second per pin
        "T/s": 1.0,
        "MT/s": 1e6,
        "GT/s": 1e9,
        "b/s": 1.0,
        "Mb/s": 1e6,
        "Gb/s": 1e9,
        "Mbps": 1e6,
        "Gbps": 1e9,
    },
    "voltage": {"V": 1.0, "mV": 1e-3},
    "current": {"A": 1.0, "mA": 1e-3, "uA": 1e-6, "µA": 1e-6},
    "energy": {"J": 1.0, "nJ": 1e-9, "pJ": 1e-12, "fJ": 1e-15},
    "energy_per_bit": {"J/bit": 1.0, "nJ/bit": 1e-9, "pJ/bit": 1e-12, "fJ/bit": 1e-15},
    "power": {"W": 1.0, "mW": 1e-3, "uW": 1e-6, "kW": 1e3},
    "bytes": {
        "B": 1.0,
        "KB": 1e3,
        "MB": 1e6,
        "GB": 1e9,
        "KiB": 2.0**10,
        "MiB": 2.0**20,
        "GiB": 2.0**30,
        "TiB": 2.0**40,
    },
    "bits": {"b": 1.0, "Kb": 2.0**10, "Mb": 2.0**20, "Gb": 2.0**30},
    "conductance": {"S": 1.0, "mS": 1e-3, "uS": 1e-6, "µS": 1e-6},
    "resistance": {"Ohm": 1.0, "ohm": 1.0, "kOhm": 1e3, "MOhm": 1e6},
}


class UnitError(ValueError):
    """A quantity string that cannot be read in the expected dimension."""


def parse_quantity(value: object, dimension: str) -> float:
    """Return ``value`` in the SI unit of ``dimension``.

    Bare numbers are taken as already SI (seconds, hertz, volts...), which is what Python callers
    pass; strings must carry a unit of the right dimension.
    """
    units = UNITS[dimension]
    if isinstance(value, bool):
        raise UnitError(f"expected a {dimension} quantity, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise UnitError(f"expected a {dimension} quantity such as '{_example(dimension)}'")
    match = _QUANTITY.match(value)
    if not match:
        raise UnitError(
            f"cannot read {value!r} as a {dimension} quantity;"
            f" write it like '{_example(dimension)}'"
        )
    number, unit = float(match.group(1)), match.group(2)
    if unit == "":
        return number
    if unit not in units:
        raise UnitError(
            f"unit {unit!r} in {value!r} is not a {dimension} unit; allowed: {', '.join(units)}"
        )
    return number * units[unit]


def _example(dimension: str) -> str:
    return {
        "time": "14ns",
        "frequency": "1.6GHz",
        "rate": "3200MT/s",
        "voltage": "1.2V",
        "current": "60mA",
        "energy": "3.9pJ",
        "energy_per_bit": "3.9pJ/bit",
        "power": "25W",
        "bytes": "8GiB",
        "bits": "8Gb",
        "conductance": "25uS",
        "resistance": "2.5Ohm",
    }[dimension]


def _quantity(dimension: str, scale: float = 1.0) -> BeforeValidator:
    return BeforeValidator(lambda v: parse_quantity(v, dimension) / scale)


# Annotated float types for pydantic fields: the attribute name states the stored unit.
Seconds = Annotated[float, _quantity("time")]
Nanoseconds = Annotated[float, _quantity("time", 1e-9)]
Hertz = Annotated[float, _quantity("frequency")]
TransfersPerSecond = Annotated[float, _quantity("rate")]
Volts = Annotated[float, _quantity("voltage")]
Milliamps = Annotated[float, _quantity("current", 1e-3)]
PicojoulesPerBit = Annotated[float, _quantity("energy_per_bit", 1e-12)]
Picojoules = Annotated[float, _quantity("energy", 1e-12)]
Watts = Annotated[float, _quantity("power")]
Bytes = Annotated[float, _quantity("bytes")]
Microsiemens = Annotated[float, _quantity("conductance", 1e-6)]
Ohms = Annotated[float, _quantity("resistance")]
Femtojoules = Annotated[float, _quantity("energy", 1e-15)]


def _cycles_or_time(value: object) -> object:
    """A timing in clock cycles ("22nCK", or a bare number) or as time ("13.75ns")."""
    if isinstance(value, str):
        text = value.strip()
        for suffix in ("nCK", "tCK", "cycles", "cycle"):
            if text.endswith(suffix):
                number = text[: -len(suffix)].strip()
                try:
                    return {"cycles": float(number)}
                except ValueError:
                    raise UnitError(f"cannot read {value!r} as a cycle count") from None
        return {"ns": parse_quantity(text, "time") * 1e9}
    if isinstance(value, bool):
        raise UnitError(f"expected a timing such as '22nCK' or '13.75ns', got {value!r}")
    if isinstance(value, int | float):
        return {"cycles": float(value)}
    return value


Timing = Annotated[
    dict[str, float],
    BeforeValidator(_cycles_or_time),
    PlainSerializer(lambda v: f"{v['cycles']:g}nCK" if "cycles" in v else f"{v['ns']:g}ns"),
]
"""A JEDEC timing: either ``{"cycles": n}`` (from "22nCK" or a bare number) or ``{"ns": t}``."""
