"""The per-command DRAM controller, in numba: one module per job.

One call of :func:`run` advances every bus channel of a memory system over a batch of requests:
in-order admission into bounded read/write queues, FR-FCFS or FCFS selection, open/closed row
policy, all-bank or per-bank refresh, write draining, PIM programs, and every constraint of
:mod:`archsim.memory.constraints` plus tFAW and the command bus.

=============  ==================================================================================
module         job
=============  ==================================================================================
``layout``     the state arrays (:class:`KernelState`) and every named field, as tables
``timing``     the constraint table forward: when a command may issue, what it forbids after it
``queues``     read/write queues, per-bank queue summaries, write-drain mode, rank open time
``refresh``    refresh falling due, its precharges and command, skipping an idle memory
``pim``        the PIM program FIFO and its command interpreter
``issue``      what an issued host or refresh command changes
``scheduler``  which command a channel issues next, and when to look at it again
``log``        the command log and completion buffers
``loop``       the main loop (:func:`run`): admission, refresh, scans, the jump to the next event
=============  ==================================================================================

State lives in the arrays held by :class:`archsim.memory.controller.DramTiming`, so successive
calls continue one simulation exactly: splitting a trace into batches never changes the result.

The functions are compiled with ``_nrt=False``: they never allocate, and without numba's runtime
the many array arguments are not reference-counted on every call (measured: those atomic
increments took 60% of the run time and made the loop 8x slower). Helpers are
``inline="always"`` so the compiled loop is one function; only the rare paths (the idle skip,
a PIM program step) stay calls, and the loop tests the idle skip's first conditions itself. A
call passes every array as its flattened fields (``_issue`` as a call pushed about 180 stack
words, three times per random request: inlining it measured 7-13% faster on DDR4 random).
The hot loops (the scheduler's bank scan, ``_earliest``, ``_apply``, the queue shift and
rescan) index with unsigned integers (``np.uint64``): numba then skips its negative-index
wraparound, three instructions and a shape load per index (measured 15-35% less kernel time
over the signed code, every cycle unchanged). Keep index arithmetic signed and cast where the
index is used: numba types mixed signed and unsigned arithmetic as float.
The three hot bodies (:func:`run`, ``scheduler._select``, ``issue._issue``) are kept whole:
cutting them further into inlined helpers (refresh pick, queue scan, wake bound, enqueue)
measured 4-7% slower on DDR4 replay. The compiled loop is short of registers, so its speed
moves with the code's shape more than with its instruction count: these measured slower on
DDR4 random, every cycle unchanged, and were not kept: a cached bank part of ``na`` (one more
state array, 7-10%), the bank scan in two passes (hits, then the rest; 5%), the earliest ready
cycle taken after the scan for one rank (6%), an O(1) summary after an ACT on a bank's only
entry (40%). The bank scan is about half the kernel's time on random traffic (perf samples);
each of its ~14 banks per scan costs about 10 ns. Time every change (paired runs).

numba's cache (``cache=True``) checks each function against its own source file only, while
:func:`run` inlines the others and compiles in their constants: :data:`SOURCES` (this package
and :mod:`archsim.memory.commands`) are digested at import, and when they changed since the
cache was written (an edit, or an upgrade over an old install's ``__pycache__``) the cached
kernels are removed before anything loads them (:func:`archsim.jit.drop_stale_cache`; a test
checks that every archsim module a kernel module imports is in :data:`SOURCES`).
"""

from pathlib import Path

from archsim.jit import drop_stale_cache, load_from_cache_alone
from archsim.memory.kernel.layout import *  # noqa: F403
from archsim.memory.kernel.loop import run
from archsim.memory.kernel.pim import _in_set, _pim_step  # noqa: F401
from archsim.memory.kernel.refresh import _skip_idle

# Every source file the cached kernels are compiled from.
_HERE = Path(__file__).parent
SOURCES = [*sorted(_HERE.glob("*.py")), _HERE.parent / "commands.py"]

drop_stale_cache([run, _pim_step, _skip_idle], SOURCES)
load_from_cache_alone(run)  # a cache hit skips numba's lowering registries (archsim.jit)
