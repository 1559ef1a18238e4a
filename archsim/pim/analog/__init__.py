"""Analog crossbar tiles (device models, numba MVM kernels, periphery energy) and the
closed-loop in-memory solver."""
