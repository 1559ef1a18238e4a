"""What an op asks of the system's resources: demands, not a time (docs/design.md section 3).

Costing an op on its unit yields :class:`OpCost`: stages run one after another; the holds of a
stage run at the same time (a host GEMM computes while its operands stream in, double
buffered). A hold names a resource and the time it would keep that resource busy if it ran
alone there (its *work*, in ns). The system engine (:mod:`archsim.system.engine`) runs the holds
on shared resources, so ops that run at the same time stretch each other's holds.

Resources are named by role; the engine maps them to components of one device:

- ``host``: the host NPU's compute (arrays and vector unit),
- ``unit``: the in-memory unit's own compute (near-memory engines, analog tiles),
- ``channels``: the memory channels; ``flow`` says who drives them (``host`` requests, ``pim``
  command programs, ``near`` streams of a near-memory unit), since in-bank PIM and host
  requests cannot share a channel at the same moment (mode switches),
- ``link``: the host link (the Von Neumann bus),
- ``pim_channels``, ``pim_link``: the channels of a separate in-memory device (AttAcc-style
  attention devices beside a GPU) and the link between it and the host,
- ``interconnect``: the device-to-device fabric (collectives),
- ``delay``: pure latency that occupies nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RESOURCES = (
    "host",
    "unit",
    "channels",
    "link",
    "pim_channels",
    "pim_link",
    "interconnect",
    "delay",
)
FLOWS = ("host", "pim", "near", "")


@dataclass(frozen=True)
class Hold:
    """``work_ns`` of resource ``resource`` (as if alone there), driven by ``flow``."""

    resource: str
    work_ns: float
    flow: str = ""

    def __post_init__(self) -> None:
        if self.resource not in RESOURCES:
            raise ValueError(f"unknown resource {self.resource!r}; one of {RESOURCES}")
        if self.flow not in FLOWS:
            raise ValueError(f"unknown flow {self.flow!r}; one of {FLOWS}")
        if not self.work_ns >= 0:
            raise ValueError(f"hold on {self.resource} has work {self.work_ns!r} ns")

    def scaled(self, times: float) -> Hold:
        return Hold(self.resource, self.work_ns * times, self.flow)


@dataclass(frozen=True)
class Stage:
    """Holds that run at the same time; the stage ends when the last of them ends."""

    holds: tuple[Hold, ...]

    @property
    def alone_ns(self) -> float:
        return max((h.work_ns for h in self.holds), default=0.0)


def stage(*holds: Hold) -> Stage:
    """A stage of the holds with any work (zero-work holds are dropped)."""
    return Stage(tuple(h for h in holds if h.work_ns > 0))


@dataclass(frozen=True)
class Demands:
    """An op's stages, in order."""

    stages: tuple[Stage, ...] = field(default_factory=tuple)

    @property
    def alone_ns(self) -> float:
        """The op's time when nothing else runs: the sum of its stages' longest holds."""
        return sum(s.alone_ns for s in self.stages)

    def work_ns(self, resource: str) -> float:
        return sum(h.work_ns for s in self.stages for h in s.holds if h.resource == resource)

    def renamed(self, names: dict[str, str]) -> Demands:
        """The same demands on other resources (``names`` maps old to new)."""
        return Demands(
            tuple(
                Stage(
                    tuple(
                        Hold(names.get(h.resource, h.resource), h.work_ns, h.flow) for h in st.holds
                    )
                )
                for st in self.stages
            )
        )


    def moved(self, resource: str, flow: str, to: str) -> Demands:
        """The same demands with the holds on ``resource`` driven by ``flow`` on ``to``."""
        return Demands(
            tuple(
                Stage(
                    tuple(
                        Hold(to, h.work_ns, "") if (h.resource, h.flow) == (resource, flow) else h
                        for h in st.holds
                    )
                )
                for st in self.stages
            )
        )


def demands(*stages: Stage) -> Demands:
    return Demands(tuple(s for s in stages if s.holds))
