"""Per-MVM energy and latency of crossbar tiles from the periphery config.

Energy: cell read V^2*G*t, DAC per driven row, ADC per converted column, TIA per column, and the
digital adds that merge partial sums across row tiles and weight slices. Latency: DAC settling,
integration, then the ADC conversions that one shared ADC serializes over its columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archsim.pim.analog.config import AdcModel, PeripheryConfig

# When the periphery is unquantized (ideal), conversions are still charged at this width so
# the ideal and default energies stay comparable [assumption].
_ENERGY_BITS_WHEN_IDEAL = 8


def adc_energy_fj(adc: AdcModel, bits: int) -> float:
    """Energy of one conversion at ``bits`` (fJ)."""
    if adc.kind == "sar":
        # NeuroSim: (a*bits + c) uW for (bits + 1) bit-times.
        return (adc.a_uw_per_bit * bits + adc.c_uw) * 1e-6 * (bits + 1) * adc.t_bit_ns * 1e-9 * 1e15
    # Walden figure of merit: energy doubles per bit.
    return adc.reference_energy_pj * 1e3 * 2.0 ** (bits - adc.reference_bits)


def adc_time_ns(adc: AdcModel, bits: int) -> float:
    """Time of one conversion (ns): (bits + 1) bit-times for a SAR."""
    return (bits + 1) * adc.t_bit_ns


@dataclass
class MvmCost:
    """Energy (pJ, by component) and latency (ns) of one input vector through a matrix."""

    energy_pj: dict[str, float] = field(default_factory=dict)
    latency_ns: float = 0.0

    @property
    def total_pj(self) -> float:
        return sum(self.energy_pj.values())


def conversion_bits(periphery: PeripheryConfig) -> int:
    return periphery.adc_bits or _ENERGY_BITS_WHEN_IDEAL


def mvm_cost(
    periphery: PeripheryConfig,
    cell_energy_pj: float,
    row_tiles: int,
    col_tiles: int,
    tile_rows: int,
    tile_cols: int,
    n_in: int,
    n_out: int,
) -> MvmCost:
    """Cost of one MVM of an n_in x n_out matrix on row_tiles x col_tiles tiles (all in parallel).

    ``cell_energy_pj`` comes from the programmed conductances and the actual input drive.
    """
    bits = conversion_bits(periphery)
    slices = periphery.weight_slices
    # Each slice is its own array; every row tile sees all inputs of its rows.
    conversions_in = n_in * col_tiles * slices
    conversions_out = n_out * row_tiles * slices
    dac = conversions_in * periphery.dac_energy_fj * 1e-3
    adc = conversions_out * adc_energy_fj(periphery.adc, bits) * 1e-3
    tia = conversions_out * periphery.tia_energy_fj * 1e-3
    # Partial sums: (row_tiles*slices - 1) adds per output.
    digital = n_out * (row_tiles * slices - 1) * periphery.add_energy_fj * 1e-3
    energy = {"cell": cell_energy_pj, "dac": dac, "adc": adc, "tia": tia, "digital": digital}
    shared = min(periphery.columns_per_adc, tile_cols)
    latency = (
        periphery.dac_settle_ns
        + periphery.integration_ns
        + shared * adc_time_ns(periphery.adc, bits)
    )
    return MvmCost(energy, latency)
