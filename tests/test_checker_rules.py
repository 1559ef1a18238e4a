"""Every rule of the constraint table, broken by a hand-built log, is caught by ``check-log``.

For each row of a standard's table (both directions of every pair, PIM columns included) the
log issues the row's ``prev`` command and then its ``next`` command at the node relation the
row names, one cycle too early and then exactly on time: the first must be reported as that
rule with that distance, the second not. The logs are built here from the table's own rows, not
from the timing kernel, so a rule the kernel gets wrong cannot hide in the checker.
"""

from __future__ import annotations

import pytest

from archsim.config.presets import load_system
from archsim.memory.checker import check_command_log
from archsim.memory.commands import (
    ACT,
    BANK,
    BANKGROUP,
    CHANNEL,
    COMMAND_NAMES,
    MAC_AB,
    PRE,
    RANK,
    RDA,
    REFAB,
    REFPB,
    WR_AB,
    WRA,
)
from archsim.memory.constraints import build_constraints

SYSTEMS = [
    ("ddr4-3200", {"memory": {"organization": {"ranks": 2}, "controller": {"refresh": "none"}}}),
    ("ddr5-4800", {"memory": {"organization": {"ranks": 2}, "controller": {"refresh": "none"}}}),
    ("hbm2-pim", {"memory": {"controller": {"refresh": "none"}}}),
]
T0 = 2000  # the rule's first command; the setup ACTs come long before
ROW = 5


def _line(t, cmd, rank, bg, bank, same_bank_refresh, bpg):
    name = COMMAND_NAMES[cmd]
    if cmd == REFAB:
        return f"{t} {name} 0 {rank} -1 -1 -1 -1"
    if cmd == REFPB:
        return f"{t} {name} 0 {rank} {-1 if same_bank_refresh else bg} {bank} -1 -1"
    if cmd in (MAC_AB, WR_AB):  # one bank as its set: group * banks per group + bank
        return f"{t} {name} 0 {rank} -1 {bg * bpg + bank} {ROW} 0"
    return f"{t} {name} 0 {rank} {bg} {bank} {ROW} 0"


def _nodes(rule):
    """(rank, group, bank) of the rule's two commands: the same node at the rule's level,
    different ones below it (another rank for a sibling rule)."""
    first = (0, 0, 0)
    if rule.level == BANK:
        return first, (0, 0, 0)
    if rule.level == BANKGROUP:
        return first, (0, 0, 1)
    if rule.sibling:
        return first, (1, 0, 0)
    return first, (0, 1, 1)


def _log(tmp_path, cfg, header, rule, gap):
    org = cfg.memory.organization
    same_bank = org.per_bank_refresh == "same-bank"
    p_node, q_node = _nodes(rule)
    lines = []
    # Open the row the column commands and PREs need, long before.
    needs_open = {
        x for x in ((rule.prev, p_node), (rule.next, q_node)) if x[0] not in (ACT, REFAB, REFPB)
    }
    for k, node in enumerate(sorted({n for _, n in needs_open})):
        lines.append(_line(200 * k, ACT, *node, same_bank, org.banks_per_group))
    lines.append(_line(T0, rule.prev, *p_node, same_bank, org.banks_per_group))
    lines.append(_line(T0 + gap, rule.next, *q_node, same_bank, org.banks_per_group))
    path = tmp_path / f"rule-{gap}.log"
    path.write_text(header + "\n".join(lines) + "\n")
    return check_command_log(path, cfg).violations


@pytest.mark.parametrize(("name", "overrides"), SYSTEMS, ids=[s for s, _ in SYSTEMS])
def test_every_rule_of_the_table_is_caught_one_cycle_early(tmp_path, name, overrides):
    cfg = load_system(name, overrides)
    header = f"# archsim command log v1\n# system: {name}\n# standard: {cfg.memory.standard}\n"
    rules = build_constraints(cfg.memory.cycles)
    assert any(r.prev == MAC_AB or r.next == WR_AB for r in rules)  # PIM columns are rules too
    missed, spurious = [], []
    ranks = cfg.memory.organization.ranks
    for rule in rules:
        if rule.sibling and ranks == 1:
            continue  # no other rank to put the second command on
        before = f"after {COMMAND_NAMES[rule.prev]} at cycle {T0}"
        early = f"violates {rule.name}: {rule.cycles - 1} cycles {before}, needs {rule.cycles}"
        if not any(early in v for v in _log(tmp_path, cfg, header, rule, rule.cycles - 1)):
            missed.append(rule)
        on_time = f"violates {rule.name}: {rule.cycles} cycles {before}"
        if any(on_time in v for v in _log(tmp_path, cfg, header, rule, rule.cycles)):
            spurious.append(rule)
    assert not missed, f"{len(missed)} of {len(rules)} rules not caught: {missed[:5]}"
    assert not spurious, f"rules flagged on time: {spurious[:5]}"
    assert {r.level for r in rules} == {CHANNEL, RANK, BANKGROUP, BANK}
    assert ranks == 1 or any(r.sibling for r in rules)
    assert {RDA, WRA, PRE} <= {r.prev for r in rules}
