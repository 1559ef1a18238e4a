"""The timing kernel's named state layout: each table and its constants agree."""

from __future__ import annotations

import numpy as np

from archsim.config.presets import load_system
from archsim.memory import kernel as K
from archsim.memory.controller import DramTiming, RequestBatch
from archsim.memory.kernel import layout

N_OF = {"QF_": "N_QF", "H_": "N_H", "BQ_": "N_BQ", "RF_": "N_RF", "CF_": "N_CF", "PQF_": "N_PQF"}
N_OF |= {"CNT_": "N_CNT", "G_": "N_G", "P_": "N_P"}


def test_every_table_row_is_the_constant_of_its_name():
    assert set(N_OF) == set(layout.TABLES)
    for prefix, table in layout.TABLES.items():
        names = [name for name, _ in table]
        for k, (name, meaning) in enumerate(table):
            assert getattr(layout, prefix + name) == k, prefix + name
            assert meaning, prefix + name
        # Every constant of the prefix has its row (a field added without one is caught).
        constants = {n[len(prefix) :] for n in dir(layout) if n.startswith(prefix)}
        assert constants == set(names), (prefix, constants ^ set(names))
        assert getattr(layout, N_OF[prefix]) == len(table)


def test_state_arrays_are_named_and_shaped_by_the_tables():
    cfg = load_system("ddr4-3200")
    timing = DramTiming(cfg.memory)
    st = timing.state
    assert st._fields == tuple(name for name, _ in layout.STATE_ARRAYS)
    assert st.ch_st.shape[1] == len(layout.CHANNEL_FIELDS)
    assert st.rk_st.shape[1] == len(layout.RANK_FIELDS)
    assert st.cnt.shape[1] == len(layout.COUNTERS)
    assert st.g.shape[0] == len(layout.GLOBAL_FIELDS)
    assert st.q.shape[3] == len(layout.QUEUE_FIELDS)
    assert st.pq.shape[2] == len(layout.PIM_FIELDS)
    assert timing.params.shape[0] == len(layout.PARAMS)
    address = np.arange(64, dtype=np.uint64) * np.uint64(64)
    batch = RequestBatch.from_addresses(
        timing.mapping, address, np.zeros(64, bool), np.zeros(64, np.int64)
    )
    timing.step(batch, final=True)
    assert sum(layout.describe("CNT_", row)["READS"] for row in st.cnt) == 64
    assert int(st.cnt[:, K.CNT_READS].sum()) == 64
