"""Compute components: the host NPU, links, and in-memory compute units (PIM / near-memory)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, PositiveFloat, PositiveInt, model_validator

from archsim.config.base import FieldError, Model
from archsim.config.units import Bytes, Hertz, Nanoseconds, PicojoulesPerBit, TransfersPerSecond

# The widest DAC/ADC the analog models accept (pim.dac_bits / pim.adc_bits, tile periphery).
ADC_BITS_MAX = 16

DType = Literal["fp32", "fp16", "bf16", "fp8", "int8", "int4"]
DTYPES: tuple[str, ...] = ("fp32", "fp16", "bf16", "fp8", "int8", "int4")


class HostConfig(Model):
    """A systolic-array NPU (the Von Neumann baseline runs every op here)."""

    kind: Literal["npu"] = "npu"
    model: str = Field("", description="what the numbers describe, e.g. 'A100-class'")
    arrays: PositiveInt = Field(1, description="systolic arrays working in parallel")
    array_rows: PositiveInt
    array_cols: PositiveInt
    dataflow: Literal["ws", "os"] = Field("ws", description="weight- or output-stationary")
    double_buffered_weights: bool = Field(
        False,
        description="weight-stationary arrays load the next fold's weights while the current"
        " fold streams, and folds pipeline through the array (GPU tensor cores, TPU MXUs);"
        " false keeps SCALE-Sim's exact count (load, stream, drain per fold)",
    )
    clock_hz: Hertz = Field(alias="clock", gt=0)
    macs_per_pe: dict[DType, PositiveFloat] = Field(
        description="MACs per processing element per cycle, by operand type"
    )
    vector_flops_per_cycle: PositiveInt = Field(
        description="element-wise FLOPs per cycle of the vector unit (all arrays together)"
    )
    sram_bytes: Bytes = Field(alias="sram", gt=0, description="on-chip buffer for operands")

    def peak_macs_per_s(self, dtype: str) -> float:
        if dtype not in self.macs_per_pe:
            raise KeyError(dtype)
        pes = self.arrays * self.array_rows * self.array_cols
        return pes * self.macs_per_pe[dtype] * self.clock_hz  # type: ignore[index]

    def peak_flops(self, dtype: str = "fp16") -> float:
        """The arrays' peak (matrix products)."""
        return 2.0 * self.peak_macs_per_s(dtype)

    def vector_peak_flops(self) -> float:
        return self.vector_flops_per_cycle * self.clock_hz

    def total_peak_flops(self, dtype: str = "fp16") -> float:
        """Arrays and vector unit together: the most FLOP/s the host can do."""
        return self.peak_flops(dtype) + self.vector_peak_flops()


class LinkConfig(Model):
    """A physical link: width x rate, a latency, and an energy per bit moved."""

    kind: Literal["ddr", "hbm-phy", "tsv", "cxl", "pcie", "nvlink", "ucie", "on-chip"]
    width_bits: PositiveInt = Field(alias="width", description="data bits per transfer")
    rate_tps: TransfersPerSecond = Field(alias="rate", gt=0, description="transfers per second")
    count: PositiveInt = Field(1, description="identical links in parallel")
    latency_ns: Nanoseconds = Field(0.0, alias="latency", ge=0)
    energy_pj_per_bit: PicojoulesPerBit = Field(alias="energy", ge=0)

    @property
    def bandwidth_bytes_per_s(self) -> float:
        return self.count * self.width_bits * self.rate_tps / 8


class _InBankSoftmax(Model):
    """Where an in-bank design runs decode attention's softmax (shared by HBM-PIM and AiM)."""

    softmax: Literal["host", "device"] = Field(
        "host",
        description="where decode attention's softmax (and partial-sum reduction) runs: on the"
        " host, or on the memory device's buffer die (AttAcc), keeping scores off the link",
    )
    device_vector_flops: PositiveFloat | None = Field(
        None, description="FLOP/s of the buffer die's vector unit (needed with softmax: device)"
    )

    @model_validator(mode="after")
    def _softmax_rate(self):
        if self.softmax == "device" and self.device_vector_flops is None:
            raise FieldError("device_vector_flops", "softmax on the device needs its FLOP/s")
        return self


class HbmPimConfig(_InBankSoftmax):
    """Samsung HBM-PIM-like in-bank digital PIM: one SIMD unit per two banks."""

    kind: Literal["hbm-pim"]
    banks_per_unit: PositiveInt = Field(2, description="banks sharing one PIM unit")
    lanes: PositiveInt = Field(16, description="SIMD lanes per unit")
    dtype: DType = "fp16"
    grf_entries: PositiveInt = Field(8, description="256-bit registers per GRF half (A and B)")
    mac_interval_ns: Nanoseconds | None = Field(
        None,
        alias="mac_interval",
        gt=0,
        description="time between PIM column commands; default tCCD_L, as the units read through"
        " the bank-group path",
    )
    ops: tuple[str, ...] = Field(
        ("gemv", "eltwise", "attention"), description="op kinds the unit runs"
    )


class AimConfig(_InBankSoftmax):
    """SK hynix AiM-like: a MAC unit in every bank, a global input buffer, an activation LUT."""

    kind: Literal["aim"]
    macs_per_bank: PositiveInt = Field(16, description="MACs per bank per column command")
    mac_interval_ns: Nanoseconds = Field(
        alias="mac_interval", gt=0, description="time between MAC commands (the units' clock)"
    )
    dtype: DType = "bf16"
    global_buffer_bytes: Bytes = Field(alias="global_buffer", gt=0)
    vectors_per_pass: PositiveInt = Field(
        1,
        description="input vectors each bank's unit multiplies per weight read (accumulators"
        " per unit): more than 1 serves grouped-query attention's query heads in one pass;"
        " MAC energy scales with the MACs done, but the extra multipliers' area, leakage and"
        " cost are not charged [assumption]",
    )
    activation_lut: bool = True
    dual_row_buffer: bool = Field(
        False,
        description="a second row buffer per bank for the units (NeuPIMs): PIM programs and"
        " host requests proceed together on a channel (their shared command bus not modelled)",
    )
    ops: tuple[str, ...] = ("gemv", "eltwise", "attention")


class NearMemoryConfig(Model):
    """Compute beside the memory: on a DIMM buffer chip (AXDIMM-like) or an HBM logic die."""

    kind: Literal["dimm-buffer", "logic-die"]
    peak_flops: PositiveFloat = Field(description="FLOP/s of the unit (all of them together)")
    dtype: DType = "fp16"
    internal_bandwidth_factor: PositiveFloat = Field(
        1.0,
        description="internal bandwidth seen by the unit as a multiple of the memory's peak"
        " (ranks read in parallel behind a buffer chip, wider TSV paths on a logic die)",
    )
    ops: tuple[str, ...] = ("gemv", "eltwise", "attention", "embedding", "norm", "softmax")


class AnalogCrossbarConfig(Model):
    """Analog crossbar banks beside the host: static weights live in the tiles' conductances.

    Device and periphery are presets (``configs/devices``, ``configs/periphery``); the tile
    models are in :mod:`archsim.pim.analog`.
    """

    kind: Literal["analog-crossbar"]
    device: str = Field(description="device preset: pcm, rram, rram-milo, ideal, or a YAML path")
    periphery: str = Field("default", description="periphery preset or YAML path")
    tiles: PositiveInt = Field(description="crossbar tiles in the banks (all work in parallel)")
    rows: PositiveInt = 256
    cols: PositiveInt = 256
    adc_bits: PositiveInt | None = Field(
        None,
        le=ADC_BITS_MAX,
        description="overrides the periphery preset's ADC bits (a sweepable knob)",
    )
    dac_bits: PositiveInt | None = Field(
        None,
        le=ADC_BITS_MAX,
        description="overrides the periphery preset's DAC bits (a sweepable knob)",
    )
    t_inference_s: float = Field(0.0, alias="t_inference", ge=0, description="s after programming")
    compensation: Literal["global", "none"] = "global"
    ops: tuple[str, ...] = ("gemv", "gemm", "conv2d")
    closed_loop: str | None = Field(
        None,
        description="circuit preset (configs/circuits) for SOLVE/REGRESSION/EIGEN ops in op-amp"
        " feedback; None: the banks only do MVMs",
    )
    solver_sample: PositiveInt = Field(
        512, description="solver problems larger than this are measured on a same-kind sample"
    )
    accuracy_budget: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="largest relative error an op may have in the crossbars; an op above it"
        " runs on the host (None: no budget)",
    )
    conv_replication: Literal["none", "balance"] = Field(
        "none",
        description="balance: the tiles one copy of every resident weight leaves free hold extra"
        " copies of conv layers, the layers' MVM steps balanced (ISAAC, ISCA 2016); none: one"
        " copy each (archsim.pim.analog.pipeline)",
    )
    inferences_per_programming: PositiveFloat = Field(
        1e6,
        description="runs of the workload served per programming of its static weights: the"
        " write-verify energy of the resident weights is charged 1/this per run (closed-loop"
        " matrices are data and are written every run)",
    )

    @property
    def periphery_overrides(self) -> dict[str, int]:
        """The periphery fields this config sets over its preset."""
        return {k: v for k, v in (("adc_bits", self.adc_bits), ("dac_bits", self.dac_bits)) if v}


PimConfig = Annotated[
    HbmPimConfig | AimConfig | NearMemoryConfig | AnalogCrossbarConfig,
    Field(discriminator="kind"),
]


class ParallelConfig(Model):
    """How a model is split over identical devices (each a host with its memory and unit)."""

    tensor: PositiveInt = Field(
        1, description="tensor-parallel degree: devices that each hold 1/t of every layer"
    )
    pipeline: PositiveInt = Field(
        1, description="pipeline stages: devices that each hold 1/p of the layers, in sequence"
    )
    micro_batches: PositiveInt = Field(
        1,
        description="pipeline micro-batches: the batch splits into m parts that follow each"
        " other through the stages (a smaller batch into one sequence each); a run reports the"
        " steady state of continuous decoding, max(m, p) stage times per step (needs"
        " pipeline > 1)",
    )

    @model_validator(mode="after")
    def _micro(self) -> ParallelConfig:
        if self.micro_batches > 1 and self.pipeline == 1:
            raise FieldError(
                "micro_batches",
                f"{self.micro_batches} micro-batches need pipeline stages (pipeline is 1)",
            )
        return self

    @property
    def devices(self) -> int:
        return self.tensor * self.pipeline


class MappingConfig(Model):
    """Where ops run: a policy and manual per-op overrides."""

    policy: Literal["cost", "roofline", "host", "memory"] = Field(
        "cost",
        description="roofline: ops below the host's ridge point go to memory when the unit can"
        " run them; cost: the roofline's choices, each kept in memory only if it finishes"
        " sooner there than on the host (both simulated; digital units); host: everything on"
        " the host; memory: everything the unit can run",
    )
    overrides: dict[str, Literal["host", "memory"]] = Field(
        default_factory=dict, description="op name (or glob) to unit"
    )
    sub_batches: PositiveInt = Field(
        1,
        description="split each batch into this many sub-batches that run as independent"
        " copies, the host serving one's FC layers while memory runs another's attention"
        " (NeuPIMs' sub-batch interleaving uses 2); the batch must divide",
    )
    pim_quantum_ns: Nanoseconds = Field(
        1000.0,
        alias="pim_quantum",
        gt=0,
        description="while host requests and an in-bank PIM program share channels, the"
        " controller runs the program this long before leaving PIM mode to serve the host"
        " [assumption: 1 us, a controller policy; each alternation pays the unit's mode switch]",
    )
