"""Links and buses: bandwidth, latency and energy per bit, shared as SimPy resources."""
