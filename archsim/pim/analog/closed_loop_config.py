"""Config of the closed-loop (op-amp feedback) crossbar solver and its digital comparison."""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt

from archsim.config.base import Model
from archsim.config.units import (
    Femtojoules,
    Hertz,
    Picojoules,
    PicojoulesPerBit,
    Seconds,
    Volts,
    Watts,
)
from archsim.pim.analog.config import ADC_BITS_MAX


class DigitalSolverConfig(Model):
    """Digital CG on the host NPU and on in-bank PIM of a system preset."""

    system: str
    flop_energy_pj: Picojoules = Field(alias="flop_energy", ge=0)
    host_read_energy_pj_per_bit: PicojoulesPerBit = Field(alias="host_read_energy", ge=0)
    in_bank_read_energy_pj_per_bit: PicojoulesPerBit = Field(alias="in_bank_read_energy", ge=0)
    bytes_per_element: PositiveInt = 4
    iteration_latency_s: Seconds = Field(
        alias="iteration_latency",
        ge=0,
        description="fixed cost per CG iteration: kernel launches and the dot-product syncs",
    )
    max_iterations: PositiveInt = 10000


class ClosedLoopConfig(Model):
    """Op-amp feedback around a crossbar: gain, bandwidth, power and converters."""

    name: str
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    gbw_hz: Hertz = Field(alias="gbw", gt=0)
    gain: PositiveFloat = Field(description="open-loop gain L0 (V/V)")
    opamp_power_w: Watts = Field(alias="opamp_power", ge=0)
    read_voltage_v: Volts = Field(alias="read_voltage", gt=0)
    settle_epsilon: float = Field(gt=0, lt=1)
    adc_bits: int = Field(ge=1, le=ADC_BITS_MAX)
    dac_energy_fj: Femtojoules = Field(alias="dac_energy", ge=0)
    refinement_iterations: NonNegativeInt = Field(
        0, description="fixed analog iterative-refinement steps (when no tolerance is asked)"
    )
    max_refinement_iterations: PositiveInt = Field(
        60, description="cap of refinement to a requested tolerance (a workload's tolerance)"
    )
    refine_to_tolerance: bool = Field(
        False, description="inside archsim run: refine each solve to its op's tolerance"
    )
    programming_tolerance: float | None = Field(
        None, gt=0, lt=1,
        description="write-verify acceptance band of closed-loop matrices, fraction of the"
        " conductance span (None: the device preset's own programming noise)",
    )
    digital: DigitalSolverConfig
