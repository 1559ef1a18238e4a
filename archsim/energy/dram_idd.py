"""DRAM energy per command from datasheet currents (Micron TN-41-01, as DRAMPower uses it).

Every term is current x voltage x time with mA, V and ns, so it comes out in pJ. The per-command
energies are *on top of* standby: background energy is charged separately per cycle as active
standby (IDD3N, some bank open) or precharge standby (IDD2N, all banks closed).
"""

from __future__ import annotations

from dataclasses import dataclass

from archsim.config.dram import CycleTimings, Organization, PowerTable


@dataclass(frozen=True)
class DramActionEnergy:
    """Energy per action of one rank, in pJ (standby per cycle)."""

    act_pre_pj: float  # one ACT and its PRE
    read_pj: float  # one read burst, array and on-die data path
    write_pj: float
    refresh_all_bank_pj: float
    refresh_per_bank_pj: float
    active_standby_pj_per_cycle: float
    precharge_standby_pj_per_cycle: float
    io_read_pj: float  # one read burst across the interface
    io_write_pj: float


def action_energy(power: PowerTable, n: CycleTimings, org: Organization) -> DramActionEnergy:
    """Per-action energies for one rank (all of its devices)."""
    tck_ns = org.tck_ps / 1000.0
    devices = power.devices if power.devices is not None else org.devices_per_rank
    vdd, vpp = power.vdd_v, power.vpp_v

    def rail(v: float, on: float, base: float, cycles: int) -> float:
        return v * (on - base) * cycles * tck_ns

    vdd_charge, vpp_charge = power.act_pre_charge(n)
    act = vdd * vdd_charge * tck_ns
    act += vpp * vpp_charge * tck_ns
    read = rail(vdd, power.idd4r_ma, power.idd3n_ma, n.nBL) + rail(
        vpp, power.ipp4r_ma, power.ipp3n_ma, n.nBL
    )
    write = rail(vdd, power.idd4w_ma, power.idd3n_ma, n.nBL) + rail(
        vpp, power.ipp4w_ma, power.ipp3n_ma, n.nBL
    )
    ref_ab = rail(vdd, power.idd5b_ma, power.idd3n_ma, n.nRFC) + rail(
        vpp, power.ipp5b_ma, power.ipp3n_ma, n.nRFC
    )
    # A per-bank refresh restores a fraction of the rank's rows: charge that fraction of an
    # all-bank refresh (no public per-bank IDD5 for most parts).
    banks_per_refpb = org.bank_groups if org.per_bank_refresh == "same-bank" else 1
    ref_pb = ref_ab * banks_per_refpb / org.banks
    bits = org.channel_width * org.burst_length
    return DramActionEnergy(
        act_pre_pj=act * devices,
        read_pj=read * devices,
        write_pj=write * devices,
        refresh_all_bank_pj=ref_ab * devices,
        refresh_per_bank_pj=ref_pb * devices,
        active_standby_pj_per_cycle=(vdd * power.idd3n_ma + vpp * power.ipp3n_ma)
        * tck_ns
        * devices,
        precharge_standby_pj_per_cycle=(vdd * power.idd2n_ma + vpp * power.ipp2n_ma)
        * tck_ns
        * devices,
        io_read_pj=power.io_read_pj_per_bit * bits,
        io_write_pj=power.io_write_pj_per_bit * bits,
    )


ENERGY_COMPONENTS = ("act_pre", "read", "write", "refresh", "background", "io")


def energy_breakdown(
    e: DramActionEnergy,
    *,
    activations: int,
    reads: int,
    writes: int,
    refresh_all_bank: int,
    refresh_per_bank: int,
    active_cycles: int,
    precharged_cycles: int,
) -> dict[str, float]:
    """Energy (pJ) by component from action counts; ``total`` is their sum."""
    parts = {
        "act_pre": activations * e.act_pre_pj,
        "read": reads * e.read_pj,
        "write": writes * e.write_pj,
        "refresh": refresh_all_bank * e.refresh_all_bank_pj
        + refresh_per_bank * e.refresh_per_bank_pj,
        "background": active_cycles * e.active_standby_pj_per_cycle
        + precharged_cycles * e.precharge_standby_pj_per_cycle,
        "io": reads * e.io_read_pj + writes * e.io_write_pj,
    }
    parts["total"] = sum(parts.values())
    return parts
