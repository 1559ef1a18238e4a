"""Serving at data-center scale: request streams, iteration-level scheduling, SLO metrics, cost
per token at load (see docs/serving.md)."""
