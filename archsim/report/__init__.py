"""Report models (the JSON contract) and their rich tables."""

from archsim.report.replay import ReplayReport

__all__ = ["ReplayReport"]
