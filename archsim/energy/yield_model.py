"""Dies per wafer, die yield and die cost: the silicon part of capex.

Dies per wafer (:func:`archsim.config.tco.dies_per_wafer`, where the TCO section's die-fits-a-
wafer check uses it): pi (d/2)^2 / A - pi d / sqrt(2 A), whole wafer area over die area minus the
partial dies lost along the edge (Hennessy & Patterson, 5th ed., sec. 1.6). Yield: the
negative-binomial model (1 + A D0 / alpha)^-alpha, alpha = 3 as in LLMCompass.
"""

from __future__ import annotations

from archsim.config.tco import NodeParams, dies_per_wafer


def die_yield(die_area_mm2: float, defect_density_per_mm2: float, alpha: float) -> float:
    """Fraction of good dies for clustered defects."""
    return (1 + die_area_mm2 * defect_density_per_mm2 / alpha) ** -alpha


def die_cost_usd(
    die_area_mm2: float, node: NodeParams, wafer_diameter_mm: float, alpha: float
) -> float:
    """Wafer cost spread over the good dies."""
    good = dies_per_wafer(die_area_mm2, wafer_diameter_mm) * die_yield(
        die_area_mm2, node.defect_density_per_mm2, alpha
    )
    if good <= 0:
        raise ValueError(
            f"a {die_area_mm2:g} mm2 die does not fit a {wafer_diameter_mm:g} mm wafer"
        )
    return node.wafer_cost_usd / good
