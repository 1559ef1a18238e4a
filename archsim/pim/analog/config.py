"""Configs of an analog crossbar tile: the device model, the periphery, and the tile itself.

Every default lives in ``configs/devices/*.yaml`` and ``configs/periphery/*.yaml`` with its
source; these models only fix names, units and allowed ranges.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, model_validator

from archsim.config.base import FieldError, Model
from archsim.config.compute import ADC_BITS_MAX
from archsim.config.presets import list_presets
from archsim.config.units import (
    Femtojoules,
    Microsiemens,
    Nanoseconds,
    Ohms,
    Picojoules,
    Seconds,
    Volts,
)

# The presets are the list: a new device model is one YAML file in configs/devices/.
DEVICES = tuple(list_presets("devices"))
PERIPHERIES = tuple(list_presets("periphery"))


class ProgrammingNoise(Model):
    """sigma[uS] = scale * poly(x), x = g_target/gmax ("ratio") or g_target in uS."""

    variable: Literal["ratio", "microsiemens"]
    coeffs: tuple[float, ...] = Field(description="polynomial coefficients, constant term first")
    reference_gmax_us: Microsiemens | None = Field(
        None,
        alias="reference_gmax",
        gt=0,
        description="sigma scales by gmax/reference_gmax (aihwkit PCM); None: no scaling",
    )


class DriftModel(Model):
    """g(t) = gp*((t+t0)/t0)^-nu, nu = |mu + s*N(0,1)|; mu, s linear in ln(gp/gmax), clipped."""

    t0_s: Seconds = Field(alias="t0", gt=0)
    mu_slope: float
    mu_intercept: float
    mu_clip: tuple[float, float]
    s_slope: float
    s_intercept: float
    s_clip: tuple[float, float]


class ReadNoiseModel(Model):
    """1/f read noise: Qs = min(q/max(r^e, floor), qmax); σ = |g|·Qs·sqrt(ln((t+t0+tr)/2tr))."""

    q: PositiveFloat
    exponent: PositiveFloat
    floor: PositiveFloat
    q_max: PositiveFloat
    t_read_s: Seconds = Field(alias="t_read", gt=0)


class RelaxationFit(Model):
    """Measured spread of conductances around their targets at times after programming.

    ``coeffs[i]`` is a polynomial (constant term first) in r = g_target/gmax giving the std (uS,
    at ``reference_gmax``) of g - g_target at ``times[i]``; the first time is the programming
    residual, the growth of the variance after it is the relaxation. Between times the variance
    is linear in ln t; after the last time it stays there (no data beyond it).
    """

    times_s: tuple[float, ...] = Field(alias="times", min_length=2)
    coeffs: tuple[tuple[float, ...], ...]
    reference_gmax_us: Microsiemens = Field(alias="reference_gmax", gt=0)

    @model_validator(mode="after")
    def _shape(self) -> RelaxationFit:
        if len(self.coeffs) != len(self.times_s):
            raise FieldError("coeffs", f"{len(self.coeffs)} fits for {len(self.times_s)} times")
        if any(t <= 0 for t in self.times_s) or list(self.times_s) != sorted(set(self.times_s)):
            raise FieldError("times", "must be positive and increasing")
        return self


class Reliability(Model):
    """What ages a deployed array (the lifetime study, :mod:`archsim.pim.analog.lifetime`)."""

    drift_activation_energy_ev: NonNegativeFloat = Field(
        0.0, description="Arrhenius activation energy of drift/relaxation (time acceleration"
        " exp(Ea/k (1/T_ref - 1/T)))",
    )
    reference_temperature_c: float = Field(25.0, description="temperature the drift fit holds at")
    relaxation_sigma: NonNegativeFloat = Field(
        0.0, description="RRAM conductance relaxation: a random walk of std"
        " relaxation_sigma·gmax·sqrt(ln(1 + t/relaxation_time))",
    )
    relaxation_time_s: Seconds = Field(1.0, alias="relaxation_time", gt=0)
    relaxation_fit: RelaxationFit | None = Field(
        None, description="measured relaxation (replaces relaxation_sigma when given)"
    )
    read_disturb: NonNegativeFloat = Field(
        0.0, description="relative conductance loss per read of a cell"
    )
    stuck_growth: NonNegativeFloat = Field(
        0.0, description="extra stuck-cell fraction (half on, half off) when a cell has used"
        " all of its rated write cycles; linear in cycles used",
    )


class WriteVerify(Model):
    """Iterative program-and-verify: the programming noise above is the residual after it."""

    iterations: PositiveFloat = Field(description="mean program/verify iterations per device")
    pulse_ns: Nanoseconds = Field(alias="pulse_time", gt=0)
    verify_ns: Nanoseconds = Field(alias="verify_time", gt=0)
    pulse_energy_pj: Picojoules = Field(alias="pulse_energy", ge=0)
    verify_energy_pj: Picojoules = Field(
        0.0, alias="verify_energy", ge=0, description="energy of one verify read of a cell"
    )
    rows_in_parallel: PositiveInt = Field(1, description="rows programmed at once")
    endurance: PositiveFloat | None = Field(
        None, description="rated write cycles per cell (None: not reported)"
    )


class DeviceConfig(Model):
    """One resistive device technology."""

    name: str
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    gmax_us: Microsiemens = Field(alias="gmax", gt=0)
    gmin_us: Microsiemens = Field(0.0, alias="gmin", ge=0)
    programming_noise: ProgrammingNoise | None = None
    drift: DriftModel | None = None
    read_noise: ReadNoiseModel | None = None
    d2d_variation: NonNegativeFloat = Field(0.0, description="relative std of a static gain")
    stuck_on_rate: float = Field(0.0, ge=0, le=1)
    stuck_off_rate: float = Field(0.0, ge=0, le=1)
    write_verify: WriteVerify
    reliability: Reliability = Field(default_factory=Reliability)

    @model_validator(mode="after")
    def _range(self) -> DeviceConfig:
        if self.gmin_us >= self.gmax_us:
            raise FieldError("gmin", f"{self.gmin_us} uS must be below gmax {self.gmax_us} uS")
        if self.stuck_on_rate + self.stuck_off_rate > 1:
            raise FieldError("stuck_on_rate", "stuck_on_rate + stuck_off_rate exceeds 1")
        return self


class AdcModel(Model):
    """Energy/time per conversion. ``sar``: E = (a*bits + c) uW x (bits+1) t_bit (NeuroSim);
    ``scaled``: a reference energy at reference bits, x2 per extra bit (Walden figure of merit)."""

    kind: Literal["sar", "scaled"]
    a_uw_per_bit: NonNegativeFloat = Field(0.0, alias="a_uw_per_bit")
    c_uw: NonNegativeFloat = Field(0.0, alias="c_uw")
    t_bit_ns: Nanoseconds = Field(alias="t_bit", gt=0, description="conversion time per bit+1")
    reference_energy_pj: Picojoules = Field(0.0, alias="reference_energy", ge=0)
    reference_bits: PositiveInt = 8


class PeripheryConfig(Model):
    """DAC, ADC, TIA, and the numeric periphery model (aihwkit-style normalized units)."""

    name: str
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict)
    dac_bits: int | None = Field(description="None: unquantized inputs", ge=1, le=ADC_BITS_MAX)
    noise_management: Literal["abs-max", "none"] = Field(
        description="abs-max: each input vector is scaled by its max|x| before the DAC, so it"
        " uses the DAC's full range (aihwkit NoiseManagementType.ABS_MAX); none: inputs are"
        " clipped to [-1, 1] as they are"
    )
    bound_management: Literal["iterative", "none"] = Field(
        "none",
        description="iterative: an MVM whose ADC saturates is re-run with its inputs halved,"
        " up to bound_management_max_factor, and the output scaled back (aihwkit"
        " BoundManagementType.ITERATIVE); every re-run is charged its time and energy",
    )
    bound_management_scope: Literal["vector", "batch"] = Field(
        "vector",
        description="vector: each input vector on each row tile retries on its own (hardware"
        " that checks its own conversions); batch: one saturated output re-runs every vector"
        " of the call (aihwkit's torch tile)",
    )
    bound_management_max_factor: PositiveFloat = Field(
        16.0, gt=1, description="largest input reduction; the last round is kept even if it clips"
    )
    adc_bits: int | None = Field(description="None: unquantized outputs", ge=1, le=ADC_BITS_MAX)
    adc_range: PositiveFloat | None = Field(description="+-bound in normalized units; None: none")
    out_noise: NonNegativeFloat = Field(description="output noise std in normalized units")
    columns_per_adc: PositiveInt
    weight_slices: PositiveInt = Field(1, description="cell pairs per weight (bit-slicing)")
    bits_per_slice: PositiveInt = Field(4, description="levels per slice when sliced")
    wire_resistance_ohm: Ohms = Field(alias="wire_resistance", ge=0)
    read_voltage_v: Volts = Field(alias="read_voltage", gt=0)
    integration_ns: Nanoseconds = Field(alias="integration_time", gt=0)
    dac_settle_ns: Nanoseconds = Field(alias="dac_settle_time", ge=0)
    dac_energy_fj: Femtojoules = Field(alias="dac_energy", ge=0, description="per input conversion")
    tia_energy_fj: Femtojoules = Field(alias="tia_energy", ge=0, description="per column read")
    add_energy_fj: Femtojoules = Field(alias="add_energy", ge=0, description="digital add")
    adc: AdcModel
    column_calibration: bool = Field(description="per-column gain/offset calibration")
    calibration_vectors: PositiveInt = 64


class TileConfig(Model):
    """A crossbar tile geometry plus its device, periphery and operating point."""

    rows: PositiveInt = Field(256, description="MNSIM default 256x256 crossbar [MNSIM 2.0]")
    cols: PositiveInt = 256
    device: DeviceConfig
    periphery: PeripheryConfig
    t_inference_s: Seconds = Field(0.0, alias="t_inference", ge=0)
    compensation: Literal["global", "none"] = "global"
    seed: int = 0
    temperature_c: float | None = Field(
        None, description="operating temperature (None: the device's reference temperature)"
    )
    reads: NonNegativeFloat = Field(0.0, description="reads of every cell since programming")
