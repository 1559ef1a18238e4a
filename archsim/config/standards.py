"""Memory standards are data: a memory YAML names its standard, and the name is all it takes.

No list of standard names lives in the code. A memory preset (``configs/systems/<name>.yaml``
with a ``memory:`` section and no host) declares ``standard: <NAME>`` together with everything the
simulator needs to know about it: organization, timing table, currents, and how it is packaged
(``package: stacked`` for HBM, which the TCO model counts as 3-D stacks). A standard is known
because a YAML file declares it, whether a built-in preset or a user's file. Price and carbon
per GB are keyed by standard name in the ``tco`` section, so a full system on a new standard
gives its own entries there (checked when the system loads).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_NAME = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*")


def _standard_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a memory standard name: upper-case letters and digits, such as"
            " DDR5, LPDDR5 or HBM3"
        )
    return value


StandardName = Annotated[str, AfterValidator(_standard_name)]
