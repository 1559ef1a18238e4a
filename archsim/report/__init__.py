"""Rendering above the system: the timeline figure and the validation tables. The records a run
returns (with their own rich tables) live in :mod:`archsim.records`."""
