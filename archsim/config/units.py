"""Unit strings at the config boundary.

YAML takes quantities with units ("14ns", "3200MT/s", "3.9pJ/bit", "1.2V", "60mA"); Python code
only ever sees SI floats or integer picoseconds. Each dimension lists the units it accepts, so a
wrong unit is an error that names what would have been right.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-zµ/%_0-9.$]*)\s*$")

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
    # TCO and carbon (archsim/energy/tco.py, carbon.py): money in US dollars, mass in grams.
    "lifetime": {"s": 1.0, "h": 3600.0, "d": 86400.0, "y": 365.25 * 86400.0},
    "area": {"mm2": 1e-6, "cm2": 1e-4, "m2": 1.0},
    "length": {"m": 1.0, "cm": 1e-2, "mm": 1e-3},
    "usd": {"$": 1.0, "k$": 1e3},
    "usd_per_gb": {"$/GB": 1.0},
    "usd_per_kwh": {"$/kWh": 1.0, "c/kWh": 1e-2, "$/MWh": 1e-3},
    "per_area": {"/mm2": 1e6, "/cm2": 1e4},
    "mass": {"g": 1.0, "kg": 1e3, "t": 1e6},
    "g_per_kwh": {"g/kWh": 1.0, "kg/kWh": 1e3},
    "g_per_gb": {"g/GB": 1.0, "kg/GB": 1e3},
    "g_per_area": {"g/cm2": 1e4, "kg/cm2": 1e7},
    "kwh_per_area": {"kWh/cm2": 1e4},
    # Analog devices (archsim/pim/analog): conductances and wire resistance.
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
        return _finite(float(value), value, dimension)
    if not isinstance(value, str):
        raise UnitError(f"expected a {dimension} quantity such as '{_example(dimension)}'")
    match = _QUANTITY.match(_dollar_first(value))
    if not match:
        raise UnitError(
            f"cannot read {value!r} as a {dimension} quantity;"
            f" write it like '{_example(dimension)}'"
        )
    number, unit = float(match.group(1)), match.group(2)
    if unit == "":
        return _finite(number, value, dimension)
    if unit not in units:
        raise UnitError(
            f"unit {unit!r} in {value!r} is not a {dimension} unit; allowed: {', '.join(units)}"
        )
    return _finite(number * units[unit], value, dimension)


def _finite(number: float, value: object, dimension: str) -> float:
    if not math.isfinite(number):
        raise UnitError(f"{value!r} is not a finite {dimension} quantity")
    return number


# Validation context key: set by the YAML and --set loaders (config.presets), where a bare number
# in a unit-bearing field is an error (``host.clock: 2`` would be 2 Hz); Python callers, which
# pass SI floats, validate without it.
UNITS_REQUIRED = "units_required"


def _bare_number_refused(value: object, dimension: str, info) -> None:
    context = getattr(info, "context", None) or {}
    if (
        context.get(UNITS_REQUIRED)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and value != 0  # zero is zero in every unit
    ):
        raise UnitError(
            f"{value!r} has no unit; write it with one, like '{_example(dimension)}'"
            f" (allowed: {', '.join(UNITS[dimension])})"
        )


def _dollar_first(text: str) -> str:
    """ "$9346" and "$7/GB" read as "9346$" and "7$/GB": money is written both ways."""
    text = text.strip()
    if text.startswith("$"):
        number = re.match(rf"^\$\s*({_NUMBER})(.*)$", text)
        if number:
            return f"{number.group(1)}${number.group(2).strip()}"
    return text


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
        "lifetime": "5y",
        "area": "826mm2",
        "length": "300mm",
        "usd": "$9346",
        "usd_per_gb": "$7/GB",
        "usd_per_kwh": "0.0806$/kWh",
        "per_area": "0.002/mm2",
        "mass": "150g",
        "g_per_kwh": "583g/kWh",
        "g_per_gb": "65g/GB",
        "g_per_area": "500g/cm2",
        "kwh_per_area": "2.15kWh/cm2",
        "conductance": "25uS",
        "resistance": "2.5Ohm",
    }[dimension]


def _stored_unit(dimension: str, scale: float) -> str:
    """The unit string whose factor is ``scale``: the unit a field of this type stores."""
    for unit, factor in UNITS[dimension].items():
        if factor == scale:
            return unit
    raise ValueError(f"no {dimension} unit with factor {scale}")


def _quantity(dimension: str, scale: float = 1.0) -> tuple[BeforeValidator, PlainSerializer]:
    """Validator and serializer of a float stored in the unit of factor ``scale``.

    Dumps write the value with its unit ("14.0ns"), so a dumped config (the resolved config
    written beside every output) reloads to the same numbers: a bare number would be read as SI.
    A string already in the stored unit is taken exactly, without a scale round trip.
    """
    stored = _stored_unit(dimension, scale)

    def plain(value: object) -> float:
        if isinstance(value, str):
            match = _QUANTITY.match(_dollar_first(value))
            if match and match.group(2) == stored:
                return float(match.group(1))
        return parse_quantity(value, dimension) / scale

    def read(value: object, info) -> float:
        _bare_number_refused(value, dimension, info)
        return plain(value)

    def dump(value: float) -> str:
        """The shortest text in any unit of the dimension that reads back to exactly ``value``
        (``6.4GT/s``, not ``6400000000.0T/s``); the stored unit when none is shorter."""
        best = f"{value!r}{stored}"
        if not math.isfinite(value) or value == 0:
            return best
        for unit, factor in UNITS[dimension].items():
            if "$" in unit or unit == stored:
                continue
            number = float(f"{value * scale / factor:.12g}")
            text = f"{number!r}{unit}"
            if len(text) < len(best):
                try:
                    if plain(text) == value:
                        best = text
                except UnitError:
                    pass
        return best

    return BeforeValidator(read), PlainSerializer(dump, return_type=str)


# Annotated float types for pydantic fields: the attribute name states the stored unit.
Seconds = Annotated[float, *_quantity("time")]
Nanoseconds = Annotated[float, *_quantity("time", 1e-9)]
Hertz = Annotated[float, *_quantity("frequency")]
TransfersPerSecond = Annotated[float, *_quantity("rate")]
Volts = Annotated[float, *_quantity("voltage")]
Milliamps = Annotated[float, *_quantity("current", 1e-3)]
PicojoulesPerBit = Annotated[float, *_quantity("energy_per_bit", 1e-12)]
Picojoules = Annotated[float, *_quantity("energy", 1e-12)]
Watts = Annotated[float, *_quantity("power")]
Bytes = Annotated[float, *_quantity("bytes")]
# TCO and carbon: stored in the unit the attribute name states.
Years = Annotated[float, *_quantity("lifetime", 365.25 * 86400.0)]
SquareMillimetres = Annotated[float, *_quantity("area", 1e-6)]
Millimetres = Annotated[float, *_quantity("length", 1e-3)]
Usd = Annotated[float, *_quantity("usd")]
UsdPerGB = Annotated[float, *_quantity("usd_per_gb")]
UsdPerKwh = Annotated[float, *_quantity("usd_per_kwh")]
PerSquareMillimetre = Annotated[float, *_quantity("per_area", 1e6)]
Grams = Annotated[float, *_quantity("mass")]
GramsPerKwh = Annotated[float, *_quantity("g_per_kwh")]
GramsPerGB = Annotated[float, *_quantity("g_per_gb")]
GramsPerSquareCentimetre = Annotated[float, *_quantity("g_per_area", 1e4)]
KwhPerSquareCentimetre = Annotated[float, *_quantity("kwh_per_area", 1e4)]
# Analog devices and periphery.
Microsiemens = Annotated[float, *_quantity("conductance", 1e-6)]
Ohms = Annotated[float, *_quantity("resistance")]
Femtojoules = Annotated[float, *_quantity("energy", 1e-15)]


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
        if text.endswith("ns"):  # exact, so a dumped timing reloads to the same float
            try:
                return {"ns": float(text[:-2].strip())}
            except ValueError:
                pass
        return {"ns": parse_quantity(text, "time") * 1e9}
    if isinstance(value, bool):
        raise UnitError(f"expected a timing such as '22nCK' or '13.75ns', got {value!r}")
    if isinstance(value, int | float):
        return {"cycles": float(value)}
    return value


Timing = Annotated[
    dict[str, float],
    BeforeValidator(_cycles_or_time),
    PlainSerializer(lambda v: f"{v['cycles']!r}nCK" if "cycles" in v else f"{v['ns']!r}ns"),
]
"""A JEDEC timing: either ``{"cycles": n}`` (from "22nCK" or a bare number) or ``{"ns": t}``."""
