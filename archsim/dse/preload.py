"""Imported once by the local executor's fork server (multiprocessing's ``forkserver``
preload): the simulator's modules and numba kernels load there, and every worker forked from it
starts warm instead of paying ~1.3 s of imports and kernel loading of its own.
"""

try:
    from archsim.dse.point import warm_up

    warm_up(None)
    WARM = True
except Exception:  # the server must not die; each worker then warms itself (executors.prepare)
    WARM = False
