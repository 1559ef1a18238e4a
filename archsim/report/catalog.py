"""The preset catalogue behind ``archsim presets``: every built-in preset with its one-line
description (the ``description:`` of its YAML) and the commands it works with."""

from __future__ import annotations

from dataclasses import dataclass

from archsim.config.presets import list_presets, preset_dir
from archsim.config.yaml_text import parse_preset_yaml

# Kind of preset -> (heading, commands it works with). Systems split by what they hold.
KINDS: dict[str, tuple[str, str]] = {
    "systems": ("systems", "run, serve, sweep, replay; [DRAM]: replay and check-log only"),
    "workloads": ("workloads", "run -w, trace info, sweep (workload:)"),
    "sweeps": ("sweeps", "sweep"),
    "energy": ("energy tables", "reprice --energy-table; energy: in a system"),
    "tco": ("cost and carbon", "tco: {base: NAME} in a system"),
    "devices": ("analog devices", "analog mvm|solve|lifetime --device"),
    "periphery": ("analog periphery", "analog mvm|lifetime --periphery"),
    "circuits": ("closed-loop circuits", "analog solve --circuit"),
}
DRAM_ONLY = "DRAM"  # a memory system without a host: replay and check-log only


@dataclass(frozen=True)
class Entry:
    kind: str
    name: str
    description: str
    works_with: str


def _description(kind: str, name: str) -> tuple[str, dict]:
    try:
        raw = preset_dir(kind).joinpath(f"{name}.yaml").read_text()
        data = parse_preset_yaml(raw)
    except Exception:  # a broken preset still lists; loading it reports the problem
        return "", {}
    if not isinstance(data, dict):
        return "", {}
    text = " ".join(str(data.get("description", "")).split())
    if not text and raw.startswith("# "):  # no description: the file's opening comment
        text = raw.splitlines()[0][2:].strip()
    return text, data


def catalogue() -> list[Entry]:
    """Every built-in preset, by kind, then the sample memory traces."""
    from archsim.workload.samples import list_samples

    out = []
    for kind, (_, works) in KINDS.items():
        for name in list_presets(kind):
            text, data = _description(kind, name)
            if kind == "systems" and "host" not in data:
                works = DRAM_ONLY
            elif kind == "systems":
                works = KINDS[kind][1]
            out.append(Entry(kind, name, text, works))
    notes = _sample_notes()
    for name in list_samples():
        text = notes.get(name, "sample memory trace")
        out.append(Entry("traces", name, text, "replay, trace info"))
    return out


def _sample_notes() -> dict[str, str]:
    """'format: what' of each sample trace, from the table in traces/README.md."""
    import re

    from archsim.workload.samples import sample_folder

    try:
        text = sample_folder().joinpath("README.md").read_text()
    except (OSError, FileNotFoundError):
        return {}
    rows = re.findall(r"^\| `([\w-]+)` \| ([^|]+) \| ([^|]+) \|", text, re.M)
    return {name: f"{fmt.strip()}: {what.strip()}" for name, fmt, what in rows}


def short(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters at a word, with an ellipsis when cut."""
    first = text.split(". ")[0].rstrip(".")
    if len(first) <= width:
        return first
    cut = first[: width - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
