"""Write-verify programming of crossbar arrays: time, energy, precision and endurance consumed.

Every matrix written during a run is charged here: a closed-loop solver's data-dependent matrix
once per solve, static weights once per deployment (amortized over the inferences served per
programming, :mod:`archsim.pim.analog.execute`).

Model (the device preset's ``write_verify`` block, each number sourced there):

- every cell (two per signed weight: G+ and G-, one pair per bit slice) takes ``iterations``
  program/verify iterations on average; each iteration is one pulse (``pulse_energy``) and one
  verify read (``verify_energy``);
- the columns of a row are programmed together and ``rows_in_parallel`` rows at a time; all
  tiles of a matrix program in parallel, so a matrix takes
  ``ceil(rows per tile / rows_in_parallel) x iterations x (pulse_time + verify_time)``;
- a tighter acceptance band (precision programming for closed-loop matrices) needs more
  iterations: each iteration past the device's own ones halves the residual error, as a
  bisection of the programming pulse amplitude does [assumption], until the band is reached;
  the residual is then uniform in the band, sigma = band / sqrt(3);
- endurance: each iteration is one pulse on the cell; the pulses over the device's rated
  ``endurance`` cycles are the fraction of its life a programming consumes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from archsim.errors import ArchsimError
from archsim.pim.analog import devices
from archsim.pim.analog.config import DeviceConfig


@dataclass(frozen=True)
class ProgrammingCost:
    """One programming of a matrix: time, energy, pulses and the endurance it consumes."""

    cells: int
    iterations: float  # mean program/verify iterations per cell
    time_s: float
    energy_pj: float
    pulse_energy_pj: float
    verify_energy_pj: float
    endurance_cycles: float | None  # the device's rated write cycles (None: not given)

    @property
    def pulses_per_cell(self) -> float:
        return self.iterations

    @property
    def endurance_fraction(self) -> float:
        """Share of a cell's rated write cycles one programming uses (0 when not rated)."""
        if not self.endurance_cycles:
            return 0.0
        return self.iterations / self.endurance_cycles

    def as_dict(self) -> dict[str, float]:
        return {
            "cells": float(self.cells),
            "iterations_per_cell": self.iterations,
            "time_s": self.time_s,
            "energy_pj": self.energy_pj,
            "pulse_energy_pj": self.pulse_energy_pj,
            "verify_energy_pj": self.verify_energy_pj,
            "endurance_fraction": self.endurance_fraction,
        }


def precision_iterations(device: DeviceConfig, g_us: np.ndarray, tolerance: float | None) -> float:
    """Mean write-verify iterations per cell to reach an acceptance band of ``tolerance`` x span
    (None: the device's own write-verify, whose residual is its programming-noise fit)."""
    wv = device.write_verify
    if tolerance is None:
        return wv.iterations
    if not 0 < tolerance < 1:
        raise ArchsimError(f"programming_tolerance: must be in (0, 1), got {tolerance}")
    target = residual_sigma_us(device, tolerance)
    native = float(np.mean(devices.programming_sigma_us(device, g_us))) if g_us.size else 0.0
    extra = math.ceil(math.log2(native / target)) if native > target else 0
    return wv.iterations + extra


def residual_sigma_us(device: DeviceConfig, tolerance: float) -> float:
    """Std of the residual error after write-verify to +-tolerance x span (uniform in the band)."""
    return tolerance * (device.gmax_us - device.gmin_us) / math.sqrt(3)


def write_verify_cost(
    device: DeviceConfig,
    rows: int,
    cols: int,
    tile_rows: int,
    arrays: int = 2,
    iterations: float | None = None,
) -> ProgrammingCost:
    """Cost of programming a rows x cols matrix in ``arrays`` cell arrays (2: G+ and G-) on
    tiles of ``tile_rows`` rows, all tiles at once."""
    wv = device.write_verify
    its = wv.iterations if iterations is None else iterations
    cells = arrays * rows * cols
    per_row_s = its * (wv.pulse_ns + wv.verify_ns) * 1e-9
    time_s = math.ceil(min(tile_rows, rows) / wv.rows_in_parallel) * per_row_s
    pulse = cells * its * wv.pulse_energy_pj
    verify = cells * its * wv.verify_energy_pj
    return ProgrammingCost(
        cells=cells, iterations=its, time_s=time_s, energy_pj=pulse + verify,
        pulse_energy_pj=pulse, verify_energy_pj=verify, endurance_cycles=wv.endurance,
    )
