"""Iteration-level scheduling (continuous batching as in Orca, OSDI 2022, and vLLM, SOSP 2023).

Each iteration is one forward pass over the running requests: every request past its prefill
decodes one token, and prefills fill what is left of the token budget: in ``chunked`` mode as
chunks (Sarathi-Serve, OSDI 2024; vLLM's chunked prefill), in ``whole`` mode only whole
prompts (a prompt longer than the budget runs when the batch is otherwise empty).

KV cache: paged in blocks (:mod:`archsim.serving.kv`). A waiting request is admitted, first come
first served, while the batch has room and its prefill's blocks fit above a watermark. When a
decoding request needs a new block and none is free, the most recently admitted request is
preempted (vLLM's policy): ``recompute`` frees its blocks and puts it at the head of the queue
to prefill its prompt and the tokens it has generated again; ``swap`` copies its blocks out over
the swap link and back in later (both copies add their time to the iteration that makes them).
A request whose prompt and output cannot fit in the whole cache is dropped at arrival with the
reason, so nothing waits for room that can never come.

Time advances by iteration costs (:mod:`archsim.serving.cost`) and jumps to the next arrival
when nothing runs. Two independent counts are kept for Little's law: the per-request arrival
and departure log, and the time integral of the number of requests in the system, updated at
every arrival and departure event.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from archsim.errors import ConfigError
from archsim.serving.cost import IterationCost, add_counts_into

PREFILL_MODES = ("chunked", "whole")
PREEMPTION_MODES = ("recompute", "swap")
# Cost of an iteration: (decoding requests, sum of their cached contexts, prefill chunks).
CostFn = Callable[[int, int, Sequence[tuple[int, int]]], IterationCost]

_WAITING, _PREFILL, _DECODE, _SWAPPED, _DONE, _DROPPED = range(6)


@dataclass(frozen=True)
class SchedulerConfig:
    """Batching limits and policies (defaults: vLLM's EngineArgs where it has one)."""

    max_batch: int = 256  # vLLM max_num_seqs default
    max_tokens: int = 2048  # tokens per iteration (vLLM's chunked-prefill default budget)
    prefill: Literal["chunked", "whole"] = "chunked"
    preemption: Literal["recompute", "swap"] = "recompute"
    watermark: float = 0.01  # vLLM: fraction of blocks kept free at admission
    swap_bandwidth_bytes_per_s: float = 25e9  # PCIe 4.0 x16, ~25 GB/s achieved [assumption]

    def check(self) -> None:
        if self.max_batch < 1:
            raise ConfigError(f"max_batch: must be at least 1, got {self.max_batch}")
        if self.max_tokens < self.max_batch:
            raise ConfigError(
                f"max_tokens: {self.max_tokens} is below max_batch ({self.max_batch}); every"
                " decoding request needs one token of the budget"
            )
        if self.prefill not in PREFILL_MODES:
            raise ConfigError(f"prefill: {self.prefill!r} is not one of {', '.join(PREFILL_MODES)}")
        if self.preemption not in PREEMPTION_MODES:
            raise ConfigError(
                f"preemption: {self.preemption!r} is not one of {', '.join(PREEMPTION_MODES)}"
            )
        if not 0 <= self.watermark < 1:
            raise ConfigError(f"watermark: a fraction in [0, 1), got {self.watermark}")
        if not self.swap_bandwidth_bytes_per_s > 0:
            raise ConfigError("swap_bandwidth: must be > 0")


@dataclass
class Timeline:
    """What the scheduler did: per request, and per iteration totals."""

    n: int
    first_scheduled_s: np.ndarray = field(init=False)
    first_token_s: np.ndarray = field(init=False)
    finish_s: np.ndarray = field(init=False)
    generated: np.ndarray = field(init=False)
    preemptions: np.ndarray = field(init=False)
    dropped: dict[int, str] = field(default_factory=dict)
    iterations: int = 0
    busy_s: float = 0.0  # time with an iteration running
    host_s: float = 0.0
    pim_s: float = 0.0
    energy_j: float = 0.0  # of the iterations (idle energy is added by the metrics)
    swap_s: float = 0.0
    swapped_bytes: float = 0.0
    recomputed_tokens: int = 0
    occupancy_area: float = 0.0  # integral of requests in the system over time (request-s)
    end_s: float = 0.0  # the last event
    max_running: int = 0
    batch_tokens: list[int] = field(default_factory=list)  # sampled, for the report
    actions: dict[str, float] = field(default_factory=dict)  # the iterations' action counts

    def __post_init__(self) -> None:
        self.first_scheduled_s = np.full(self.n, np.nan)
        self.first_token_s = np.full(self.n, np.nan)
        self.finish_s = np.full(self.n, np.nan)
        self.generated = np.zeros(self.n, np.int64)
        self.preemptions = np.zeros(self.n, np.int64)


def schedule(
    arrival_s: np.ndarray,
    prompt_tokens: np.ndarray,
    output_tokens: np.ndarray,
    cost: CostFn,
    kv_blocks: int,
    block_tokens: int,
    kv_bytes_per_token: float,
    config: SchedulerConfig = SchedulerConfig(),
    prefilled: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
    context_limit: int | None = None,
) -> Timeline:
    """Serve the requests; ``prefilled[i]`` marks a request that arrives with its prompt's KV
    and first token already made (the decode side of a disaggregated deployment). A request
    longer than ``context_limit`` tokens (the model's positions) is dropped at arrival."""
    config.check()
    n = len(arrival_s)
    arr = [float(x) for x in arrival_s]
    prompt = [int(x) for x in prompt_tokens]
    output = [int(x) for x in output_tokens]
    pre = [False] * n if prefilled is None else [bool(x) for x in prefilled]
    tl = Timeline(n)
    bt = block_tokens
    watermark = int(config.watermark * kv_blocks)
    usable = kv_blocks - watermark

    state = [_WAITING] * n
    kv = [0] * n  # tokens whose K/V are cached
    gen = [0] * n  # tokens generated so far
    target = [0] * n  # tokens the current prefill must cache
    done_pre = [0] * n  # of them, cached so far
    blocks = [0] * n
    waiting: deque[int] = deque()
    swapped: deque[int] = deque()
    running: list[int] = []  # in admission order
    free = kv_blocks
    finished = 0
    t = 0.0
    a = 0  # next arrival
    in_system = 0
    last_event = 0.0
    first_sched = tl.first_scheduled_s
    first_tok = tl.first_token_s
    finish = tl.finish_s
    ended = 0  # finished or dropped

    def event(time: float, delta: int) -> None:
        nonlocal in_system, last_event
        tl.occupancy_area += in_system * (time - last_event)
        last_event = time
        in_system += delta

    def arrive(upto: float) -> None:
        nonlocal a, ended
        while a < n and arr[a] <= upto:
            i = a
            a += 1
            event(arr[i], +1)
            need = math.ceil((prompt[i] + output[i]) / bt)
            why = None
            if context_limit is not None and prompt[i] + output[i] > context_limit:
                why = (
                    f"needs a context of {prompt[i] + output[i]} tokens; the model has"
                    f" {context_limit} positions"
                )
            elif need > usable:
                why = (
                    f"needs {prompt[i] + output[i]} tokens of KV cache ({need} blocks of {bt});"
                    f" the cache holds {usable} blocks ({usable * bt} tokens) above the watermark"
                )
            if why is not None:
                state[i] = _DROPPED
                tl.dropped[i] = why
                event(arr[i], -1)
                ended += 1
                continue
            if pre[i]:
                kv[i], gen[i] = prompt[i], 1
            waiting.append(i)

    def release(i: int) -> None:
        nonlocal free
        free += blocks[i]
        blocks[i] = 0

    def preempt(i: int) -> float:
        """Preempt request ``i``; returns the swap-out time it adds."""
        running.remove(i)
        tl.preemptions[i] += 1
        if config.preemption == "swap" and state[i] == _DECODE:
            moved = kv[i] * kv_bytes_per_token
            tl.swapped_bytes += moved
            release(i)
            state[i] = _SWAPPED
            swapped.append(i)
            return moved / config.swap_bandwidth_bytes_per_s
        tl.recomputed_tokens += kv[i]
        release(i)
        kv[i] = 0
        state[i] = _WAITING
        waiting.appendleft(i)
        return 0.0

    while ended < n:
        arrive(t)
        if not running and not waiting and not swapped:
            if a >= n:
                break
            t = max(t, arr[a])
            continue
        extra_s = 0.0
        # Swapped requests come back first, then new ones, while blocks and batch slots last.
        while swapped and len(running) < config.max_batch:
            i = swapped[0]
            need = math.ceil((kv[i] + 1) / bt)
            if free - need < watermark:
                break
            swapped.popleft()
            free -= need
            blocks[i] = need
            extra_s += kv[i] * kv_bytes_per_token / config.swap_bandwidth_bytes_per_s
            tl.swapped_bytes += kv[i] * kv_bytes_per_token
            state[i] = _DECODE
            running.append(i)
        while waiting and not swapped and len(running) < config.max_batch:
            i = waiting[0]
            # A fresh prompt, or a recompute of prompt + output so far; none for a request
            # that arrives prefilled.
            tgt = prompt[i] + gen[i] if kv[i] == 0 else 0
            need = math.ceil(max(tgt, kv[i] + 1) / bt)
            if free - need < watermark:
                break
            waiting.popleft()
            free -= need
            blocks[i] = need
            if math.isnan(first_sched[i]):
                first_sched[i] = t
            if tgt:
                state[i] = _PREFILL
                target[i] = tgt
                done_pre[i] = 0
            else:
                state[i] = _DECODE
            running.append(i)
        # Every decoding request needs a slot for the token it adds.
        decodes = []
        for i in list(running):
            if state[i] != _DECODE:
                continue
            while (kv[i] + 1) > blocks[i] * bt and free == 0:
                victim = running[-1]
                extra_s += preempt(victim)
                if victim == i:
                    break
            if state[i] != _DECODE:
                continue
            if kv[i] + 1 > blocks[i] * bt:
                free -= 1
                blocks[i] += 1
            decodes.append(i)
        budget = config.max_tokens - len(decodes)
        chunks: list[tuple[int, int]] = []
        chunked: list[tuple[int, int]] = []
        for i in running:
            if state[i] != _PREFILL or budget <= 0:
                continue
            left = target[i] - done_pre[i]
            if config.prefill == "chunked":
                take = min(left, budget)
            elif left <= budget or (not decodes and not chunks):
                take = left
            else:
                continue
            chunks.append((take, done_pre[i]))
            chunked.append((i, take))
            budget -= take
        if not decodes and not chunks:
            # Nothing fits (a prompt waiting for blocks behind a full batch cannot happen: the
            # running requests always make progress); wait for the next arrival instead.
            if a >= n:
                raise RuntimeError("scheduler made no progress with no arrivals left")
            t = max(t, arr[a])
            continue
        ctx_sum = 0
        for i in decodes:
            ctx_sum += kv[i]
        c = cost(len(decodes), ctx_sum, chunks)
        dt = c.time_s + extra_s
        tl.iterations += 1
        tl.busy_s += dt
        tl.host_s += c.host_s
        tl.pim_s += c.pim_s
        tl.energy_j += c.energy_j
        add_counts_into(tl.actions, c.actions)
        tl.swap_s += extra_s
        tl.max_running = max(tl.max_running, len(running))
        if tl.iterations % 64 == 1:
            tl.batch_tokens.append(len(decodes) + sum(x for x, _ in chunks))
        t += dt
        arrive(t)  # arrivals during the iteration come before its departures
        leaving = []
        for i in decodes:
            kv[i] += 1
            gen[i] += 1
            if gen[i] >= output[i]:
                leaving.append(i)
        for i, take in chunked:
            done_pre[i] += take
            kv[i] = done_pre[i]
            if done_pre[i] == target[i]:
                gen[i] += 1
                if math.isnan(first_tok[i]):
                    first_tok[i] = t
                state[i] = _DECODE
                if gen[i] >= output[i]:
                    leaving.append(i)
        for i in leaving:
            state[i] = _DONE
            finish[i] = t
            running.remove(i)
            release(i)
            event(t, -1)
            finished += 1
            ended += 1
        if progress is not None and leaving:
            progress(len(leaving))
    for i in range(n):
        tl.generated[i] = gen[i] if state[i] == _DONE else 0
    tl.end_s = max(last_event, t)
    event(tl.end_s, 0)
    return tl
