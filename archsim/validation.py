"""Every validation study of every layer, grouped, for ``archsim validate``.

The registry lives above every layer (like the CLI); each layer keeps its own studies and
returns :class:`archsim.study.Study` records.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from archsim.study import Study


def _groups(quick: bool) -> list[tuple[str, Callable[[], list[Study]]]]:
    from archsim.energy.validation import tco_studies
    from archsim.host.validation import host_studies
    from archsim.memory.validation import dram_studies
    from archsim.pim.analog.validation import analog_studies
    from archsim.system.dram_peers import external_dram_studies
    from archsim.system.pim_validation import run_studies
    from archsim.system.validation import system_studies
    from archsim.workload.validation import workload_studies

    return [
        ("workload", workload_studies),
        ("dram", lambda: external_dram_studies() + dram_studies(quick=quick)),
        ("host", host_studies),
        ("pim", run_studies),
        ("system", system_studies),
        ("tco", tco_studies),
        ("analog", lambda: analog_studies().studies),
    ]


def all_studies(quick: bool = False) -> list[Study]:
    out: list[Study] = []
    for group, studies in _groups(quick):
        out += [dataclasses.replace(s, group=group) for s in studies()]
    return out
