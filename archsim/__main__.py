"""The ``archsim`` process: ``python -m archsim`` and the ``archsim`` console script.

Process-wide settings go here, before anything is imported, so that importing :mod:`archsim`
as a library never changes them.
"""

import gc

# The collector's first-generation threshold, raised from Python's 700 allocations: start-up
# (numpy, numba, pydantic, typer and the configuration models) allocates about half a million
# objects that all live to the end, and the default threshold ran 213 collections over them,
# 85 ms CPU of a 100-request replay's ~0.6 s; at 50,000 it runs 2 (20 ms). Cyclic garbage (SimPy
# events and their callbacks) is still collected, every 50,000 net allocations.
GC_THRESHOLDS = (50_000, 20, 100)


def main() -> None:
    """Console entry point."""
    gc.set_threshold(*GC_THRESHOLDS)
    from archsim.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
