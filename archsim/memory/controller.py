"""Memory controller: owns the timing kernel's state and feeds it batches of requests.

:class:`DramTiming` is the numerical core (state arrays + :func:`archsim.memory.kernel.run`);
:class:`MemoryController` is the SimPy component that hands it batches, so simulated time in the
engine follows the memory's own clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from archsim.config.dram import DramConfig
from archsim.engine.sim import Simulation
from archsim.memory import kernel as K
from archsim.memory.commands import TIMED_COMMANDS
from archsim.memory.constraints import build_constraints, constraint_arrays
from archsim.memory.mapping import AddressMapping


@dataclass(frozen=True)
class RequestBatch:
    """Decoded requests in arrival order; ``arrival`` is in memory-clock cycles."""

    arrival: np.ndarray
    is_write: np.ndarray
    pim: np.ndarray  # -1 for a host request, else the PIM command (commands.ACT_AB ...)
    channel: np.ndarray
    rank: np.ndarray
    bankgroup: np.ndarray
    bank: np.ndarray
    row: np.ndarray
    column: np.ndarray
    request_id: np.ndarray

    def __len__(self) -> int:
        return int(self.arrival.shape[0])

    def take(self, index: np.ndarray) -> RequestBatch:
        return RequestBatch(*(np.ascontiguousarray(getattr(self, f)[index]) for f in _FIELDS))

    @classmethod
    def concat(cls, first: RequestBatch, second: RequestBatch) -> RequestBatch:
        if not len(first):
            return second
        return cls(*(np.concatenate([getattr(first, f), getattr(second, f)]) for f in _FIELDS))

    @classmethod
    def empty(cls) -> RequestBatch:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, np.zeros(0, dtype=np.bool_), z, z, z, z, z, z, z, z)

    @classmethod
    def pim_program(
        cls,
        command: np.ndarray,
        channel: np.ndarray,
        bank_set: np.ndarray,
        row: np.ndarray,
        column: np.ndarray,
        arrival_cycles: np.ndarray | None = None,
        rank: np.ndarray | None = None,
        first_id: int = 0,
    ) -> RequestBatch:
        """PIM commands (commands.ACT_AB ...) in program order; ``bank_set`` uses SET_* codes."""
        n = len(command)
        zeros = np.zeros(n, dtype=np.int64)
        return cls(
            zeros.copy() if arrival_cycles is None else np.ascontiguousarray(arrival_cycles),
            np.zeros(n, dtype=np.bool_),
            np.ascontiguousarray(command, dtype=np.int64),
            np.ascontiguousarray(channel, dtype=np.int64),
            zeros.copy() if rank is None else np.ascontiguousarray(rank, dtype=np.int64),
            zeros.copy(),
            np.ascontiguousarray(bank_set, dtype=np.int64),
            np.ascontiguousarray(row, dtype=np.int64),
            np.ascontiguousarray(column, dtype=np.int64),
            np.arange(first_id, first_id + n, dtype=np.int64),
        )

    @classmethod
    def from_addresses(
        cls,
        mapping: AddressMapping,
        address: np.ndarray,
        is_write: np.ndarray,
        arrival_cycles: np.ndarray,
        first_id: int = 0,
    ) -> RequestBatch:
        f = mapping.decode(address)
        ids = np.arange(first_id, first_id + len(address), dtype=np.int64)
        return cls(
            np.ascontiguousarray(arrival_cycles, dtype=np.int64),
            np.ascontiguousarray(is_write, dtype=np.bool_),
            np.full(len(address), -1, dtype=np.int64),
            f["channel"],
            f["rank"],
            f["bankgroup"],
            f["bank"],
            f["row"],
            f["column"] * mapping.burst_length,
            ids,
        )


_FIELDS = (
    "arrival",
    "is_write",
    "pim",
    "channel",
    "rank",
    "bankgroup",
    "bank",
    "row",
    "column",
    "request_id",
)

LogSink = Callable[[np.ndarray], None]
"""Receives int64 rows (cycle, command, channel, rank, bankgroup, bank, row, column)."""
CompletionSink = Callable[[np.ndarray], None]
"""Receives int64 rows (request id, completion cycle)."""


class DramTiming:
    """Command-level timing of one DRAM memory system (every bus channel).

    ``pim_mac_cycles`` is the interval between in-bank PIM column commands (MACab, WRab) on a
    channel, set by the PIM units' clock; 0 means tCCD_L, the HBM-PIM cadence.
    """

    def __init__(
        self,
        cfg: DramConfig,
        command_log: LogSink | None = None,
        completions: CompletionSink | None = None,
        buffer_rows: int = 1 << 16,
        pim_mac_cycles: int = 0,
    ) -> None:
        org, ctl, n = cfg.organization, cfg.controller, cfg.cycles
        self.cfg = cfg
        self.mapping = AddressMapping.for_config(cfg)
        self._log_sink = command_log
        self._comp_sink = completions
        C, R, BG, BPG = org.bus_channels, org.ranks, org.bank_groups, org.banks_per_group
        Q = ctl.queue_depth
        refmode = {"none": K.REFMODE_NONE, "all-bank": K.REFMODE_ALL, "per-bank": K.REFMODE_PB}
        p = np.zeros(K.N_P, dtype=np.int64)
        p[K.P_C], p[K.P_R], p[K.P_BG], p[K.P_BPG], p[K.P_Q] = C, R, BG, BPG, Q
        p[K.P_FRFCFS] = ctl.scheduler == "frfcfs"
        p[K.P_CLOSED] = ctl.row_policy == "closed"
        p[K.P_REFMODE] = refmode[ctl.refresh]
        p[K.P_SAMEBANK] = org.per_bank_refresh == "same-bank"
        p[K.P_DUAL] = org.dual_command_bus
        p[K.P_HIGH] = max(1, int(np.ceil(ctl.write_drain_high * Q)))
        p[K.P_LOW] = int(np.floor(ctl.write_drain_low * Q))
        p[K.P_CL], p[K.P_CWL], p[K.P_BL], p[K.P_FAW] = n.nCL, n.nCWL, n.nBL, n.nFAW
        p[K.P_REFI], p[K.P_REFIPB] = n.nREFI, n.nREFIpb
        p[K.P_LOG] = command_log is not None
        p[K.P_RECORD] = completions is not None
        p[K.P_WINDOW] = ctl.frontend_window
        p[K.P_BG_SH], p[K.P_BPG_SH] = BG.bit_length() - 1, BPG.bit_length() - 1
        p[K.P_PIM_MAC] = pim_mac_cycles if pim_mac_cycles else n.nCCD_L
        self.params = p
        self.constraints = build_constraints(n)
        longest = max((c.cycles for c in self.constraints), default=0)
        p[K.P_PC] = org.pseudo_channels
        p[K.P_GUARD] = max(longest, n.nFAW) + max(n.nCL, n.nCWL) + n.nBL + 1
        NR, NBG, NB = C * R, C * R * BG, C * R * BG * BPG
        rk_st = np.zeros((NR, K.N_RF), dtype=np.int64)
        if ctl.refresh == "all-bank":
            rk_st[:, K.RF_REF_DUE] = n.nREFI
        elif ctl.refresh == "per-bank":
            rk_st[:, K.RF_REF_DUE] = n.nREFIpb
        else:
            rk_st[:, K.RF_REF_DUE] = K.INF
        self._rank_state = rk_st
        self._ch_state = np.zeros((C, K.N_CF), dtype=np.int64)
        bq = np.zeros((NB, 2, K.N_BQ), dtype=np.int64)
        bq[:, :, K.BQ_HIT] = K.INF
        bq[:, :, K.BQ_OTHER] = K.INF
        self._counters = np.zeros((C, K.N_CNT), dtype=np.int64)
        self._histogram = np.zeros(K.HIST_BINS, dtype=np.int64)  # read latency (cycles)
        self._g = np.zeros(K.N_G, dtype=np.int64)
        self._g[K.G_NEXT_REF] = rk_st[:, K.RF_REF_DUE].min()
        self._g[K.G_HEAD_T] = -1
        self._pending = RequestBatch.empty()  # requests handed over but not yet admitted
        self._log = np.zeros((buffer_rows if command_log else 1, 8), dtype=np.int64)
        self._comp = np.zeros((buffer_rows if completions else 1, 2), dtype=np.int64)
        cs_start, cs_next, cs_level, cs_sib, cs_lat = constraint_arrays(self.constraints)
        p[K.P_O_RK], p[K.P_O_BG], p[K.P_O_BK] = C, C + NR, C + NR + NBG
        self.state = K.KernelState(
            cs_start,
            np.ascontiguousarray(np.stack([cs_next, cs_level, cs_sib, cs_lat], axis=1)),
            # next allowed cycle per node (channels, then ranks, bank groups, banks) and command
            np.zeros((C + NR + NBG + NB, TIMED_COMMANDS), dtype=np.int64),
            np.full(NB, -1, dtype=np.int64),  # open row per bank
            np.zeros((NB, 2), dtype=np.int64),  # queued hits on the open row (read, write)
            np.zeros((C, 2, Q, K.N_QF), dtype=np.int64),  # read and write queue slots
            np.ascontiguousarray(np.broadcast_to(np.arange(Q, dtype=np.int64), (C, 2, Q))),
            np.zeros((C, 2, K.N_H, Q), dtype=np.int64),  # hot fields in queue order
            bq,
            np.zeros((C, 2, R * BG * BPG), dtype=np.int64),  # banks with queued work
            self._ch_state,
            rk_st,
            np.zeros((NR, 4), dtype=np.int64),  # last four ACT cycles per rank (tFAW)
            self._counters,
            self._histogram,
            self._g,
            self._log,
            self._comp,
            np.zeros((NR, K.N_RS), dtype=np.int64),  # per-scan rank bounds (scratch)
            np.zeros((C, Q, K.N_PQF), dtype=np.int64),  # PIM program FIFO per channel
        )
        self.finished = False

    # -- running -------------------------------------------------------------------------------
    @property
    def now_cycles(self) -> int:
        return int(self._g[K.G_T])

    def step(self, batch: RequestBatch, final: bool = False) -> None:
        """Hand ``batch`` (the next requests in trace order) to the controllers.

        Requests the front end cannot see yet stay pending for the next call; with ``final``
        the simulation runs until every request has completed.
        """
        batch = RequestBatch.concat(self._pending, batch)
        self._pending = RequestBatch.empty()
        ch = self._counters.shape[0]
        corder = np.argsort(batch.channel, kind="stable").astype(np.int64)
        cstart = np.zeros(ch + 1, dtype=np.int64)
        np.cumsum(np.bincount(batch.channel, minlength=ch), out=cstart[1:])
        ch_state = self._ch_state
        ch_state[:, K.CF_CUR] = 0
        while True:
            code = K.run(
                self.params,
                self.state,
                batch.arrival,
                batch.is_write,
                batch.pim,
                batch.channel,
                batch.rank,
                batch.bankgroup,
                batch.bank,
                batch.row,
                batch.column,
                batch.request_id,
                corder,
                cstart,
                final,
            )
            self._flush()
            if code in (K.LOG_FULL, K.COMP_FULL):
                continue
            if code < 0:
                raise RuntimeError(
                    "archsim internal error: the DRAM controller deadlocked at cycle"
                    f" {self.now_cycles}; please report this with the trace and config"
                )
            break
        if code == K.DONE_ALL:
            self.finished = True
            return
        admitted = np.zeros(len(batch), dtype=np.bool_)
        for c in range(ch):
            admitted[corder[cstart[c] : cstart[c] + ch_state[c, K.CF_CUR]]] = True
        self._pending = batch.take(np.flatnonzero(~admitted))

    def _flush(self) -> None:
        g, log, comp = self._g, self._log, self._comp
        if g[K.G_LOG_N] and self._log_sink is not None:
            self._log_sink(log[: g[K.G_LOG_N]].copy())
            g[K.G_LOG_N] = 0
        if g[K.G_COMP_N] and self._comp_sink is not None:
            self._comp_sink(comp[: g[K.G_COMP_N]].copy())
            g[K.G_COMP_N] = 0

    # -- results -------------------------------------------------------------------------------
    @property
    def counters(self) -> np.ndarray:
        """Per-channel counters (see ``kernel.CNT_*``)."""
        return self._counters

    @property
    def latency_histogram(self) -> np.ndarray:
        """Read latencies in cycles: entry k counts reads that took k cycles."""
        return self._histogram

    @property
    def end_cycle(self) -> int:
        """Cycle at which the last data beat finished."""
        return int(self.counters[:, K.CNT_LAST_DATA].max(initial=0))

    def rank_time_split(self, end_cycle: int) -> tuple[np.ndarray, np.ndarray]:
        """Cycles each rank spent with some bank open (active) and all banks closed, to ``end``."""
        rk = self._rank_state
        active = rk[:, K.RF_ACTIVE_CYC].copy()
        idle = rk[:, K.RF_IDLE_CYC].copy()
        tail = np.maximum(end_cycle - rk[:, K.RF_LAST], 0)
        is_open = rk[:, K.RF_OPEN] > 0
        active[is_open] += tail[is_open]
        idle[~is_open] += tail[~is_open]
        return active, idle


class MemoryController:
    """SimPy component: pulls request batches and advances the timing model over each one.

    One SimPy event per batch; the per-command work is inside the numba kernel.
    """

    def __init__(self, sim: Simulation, timing: DramTiming, name: str = "system.memory") -> None:
        self.sim = sim
        self.timing = timing
        self.name = name
        self.batches = 0

    def process(self, batches: Iterable[RequestBatch]):
        tck_ps = self.timing.cfg.organization.tck_ps
        for batch in batches:
            self.timing.step(batch)
            self.batches += 1
            yield self.sim.until_ps(self.timing.now_cycles * tck_ps)
        self.timing.step(RequestBatch.empty(), final=True)
        yield self.sim.until_ps(self.timing.end_cycle * tck_ps)
