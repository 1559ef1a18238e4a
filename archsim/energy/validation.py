"""TCO and carbon models vs worked examples that can be checked by hand or in a textbook.

* Dies per wafer vs Hennessy & Patterson (5th ed., sec. 1.6): 640 dies of 1.0 cm2 and 270 of
  2.25 cm2 on a 30 cm wafer (the published answers of their worked example).
* An 826 mm2 (H100-class) die at 5 nm with the LLMCompass/CSET wafer price and D0: dies per
  wafer, yield and die cost against the numbers worked out by hand in the docstring of
  :func:`tco_studies` (the arithmetic is written out there so a reader can redo it).
* ACT carbon per area at 7 nm and 5 nm against the hand sum (583 x EPA + GPA + MPA) / 0.875 with
  ACT's published EPA, GPA and MPA (Gupta et al., ACT, ISCA 2022).
* ACT's fab emissions per cm2 (CI_fab x EPA + GPA, scope 1 and 2, before yield) against the
  imec.netzero v4.0 figures ACT ships (logic/imec-netzero-cpa: 28 nm 0.91, 7 nm 1.44, 5 nm 1.54,
  3 nm 1.75 kg/cm2): an independent estimate, so agreement is only within tens of percent.
* Operational carbon of 1 kWh at PUE 1.58 on the world grid (481 g/kWh): 760 g.
"""

from __future__ import annotations

from archsim.config.tco import TcoConfig, dies_per_wafer
from archsim.energy.carbon import carbon_per_area_g_per_cm2, operational_g
from archsim.energy.tco import J_PER_KWH
from archsim.energy.yield_model import die_cost_usd, die_yield
from archsim.study import Study


def default_tco() -> TcoConfig:
    """The shared parameters of ``configs/tco/default.yaml`` (with the hbm2-pim host die)."""
    from archsim.config.presets import load_system

    tco = load_system("hbm2-pim").tco
    assert tco is not None
    return tco


def tco_studies() -> list[Study]:
    """Model vs reference for the cost and carbon models.

    Hand calculation for the 826 mm2 die at 5 nm (300 mm wafer, D0 0.002/mm2, $16,988):
    dies = pi 150^2 / 826 - pi 300 / sqrt(1652) = 85.58 - 23.19 = 62.39;
    yield = (1 + 826 x 0.002 / 3)^-3 = 1.5507^-3 = 0.2682; cost = 16988 / (62.39 x 0.2682) = $1,015.
    """
    tco = default_tco()
    d, a = tco.wafer_diameter_mm, tco.yield_cluster_alpha
    n5 = tco.nodes["5nm"]
    d0 = n5.defect_density_per_mm2
    world = tco.model_copy(update={"pue": 1.58, "region": "world"})
    rows = [
        ("dies per wafer, 1.0 cm2 die, 300 mm [H&P]", "dies", dies_per_wafer(100, d), 640, 5e-3),
        ("dies per wafer, 2.25 cm2 die, 300 mm [H&P]", "dies", dies_per_wafer(225, d), 270, 5e-3),
        ("dies per wafer, 826 mm2 die (hand)", "dies", dies_per_wafer(826, d), 62.39, 1e-3),
        ("yield, 826 mm2 at 5 nm (hand)", "", die_yield(826, d0, a), 0.2682, 1e-3),
        ("die cost, 826 mm2 at 5 nm (hand)", "$", die_cost_usd(826, n5, d, a), 1015.3, 2e-3),
        ("ACT carbon per area, 7 nm (hand)", "g/cm2", carbon_per_area_g_per_cm2("7nm", tco),
         (583 * 2.15 + 350 + 500) / 0.875, 1e-9),
        ("ACT carbon per area, 5 nm (hand)", "g/cm2", carbon_per_area_g_per_cm2("5nm", tco),
         (583 * 2.75 + 430 + 500) / 0.875, 1e-9),
        ("operational, 1 kWh, PUE 1.58, world (hand)", "g", operational_g(J_PER_KWH, world),
         1.58 * 481, 1e-9),
    ]  # fmt: skip
    for node, kg in IMEC_NETZERO_KG_PER_CM2.items():
        p = tco.nodes[node]
        fab = tco.fab_grid_g_per_kwh * p.epa_kwh_per_cm2 + p.gpa_g_per_cm2
        rows.append((f"fab CO2e per cm2, {node}, vs imec.netzero", "g/cm2", fab, kg * 1e3, 0.4))
    out = []
    for row in rows:
        name = row[0]
        if "[H&P]" in name:
            out.append(Study("tco", *row, kind="external", citation=HP_CITATION))
        elif "imec.netzero" in name:
            out.append(Study("tco", *row, kind="external", citation=IMEC_CITATION))
        else:  # the model's formulas worked out by hand: a consistency check only
            out.append(Study("tco", *row, kind="self"))
    return out


HP_CITATION = (
    "Hennessy & Patterson, Computer Architecture: A Quantitative Approach, 5th ed., sec. 1.6,"
    " worked example (dies per 300 mm wafer)"
)
IMEC_CITATION = (
    "imec.netzero v4.0 scope 1+2 wafer emissions as shipped in facebookresearch/ACT"
    " (logic/imec-netzero-cpa)"
)


# imec.netzero v4.0 scope 1+2 wafer emissions, kg CO2e/cm2, as shipped in facebookresearch/ACT
# (logic/imec-netzero-cpa).
IMEC_NETZERO_KG_PER_CM2 = {"28nm": 0.91, "7nm": 1.44, "5nm": 1.54, "3nm": 1.75}
