"""The ``archsim`` process: ``python -m archsim`` and the ``archsim`` console script.

Process-wide settings go here, before anything is imported, so that importing :mod:`archsim`
as a library never changes them.
"""

import gc
import os

# The collector's first-generation threshold, raised from Python's 700 allocations: start-up
# (numpy, numba, pydantic, typer and the configuration models) allocates about half a million
# objects that all live to the end, and the default threshold ran 213 collections over them,
# 85 ms CPU of a 100-request replay's ~0.6 s; at 50,000 it runs 2 (20 ms). Cyclic garbage (SimPy
# events and their callbacks) is still collected, every 50,000 net allocations.
GC_THRESHOLDS = (50_000, 20, 100)

# pydantic looks for plugins in every installed distribution's entry points when it builds its
# first model (30-40 ms CPU of every command with 77 packages installed, more in a larger
# environment); archsim uses none. A value you set (a plugin you want) is kept.
PYDANTIC_PLUGINS = ("PYDANTIC_DISABLE_PLUGINS", "__all__")


def main() -> None:
    """Console entry point."""
    gc.set_threshold(*GC_THRESHOLDS)
    os.environ.setdefault(*PYDANTIC_PLUGINS)
    from archsim.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
