"""Seeded request generators: Poisson or bursty (gamma) arrivals, and prompt/output lengths.

Length distributions are written as strings (the CLI and sweep specs take them as they are):

* ``fixed:N``: every request N tokens.
* ``uniform:LO:HI``: whole numbers LO..HI inclusive.
* ``lognormal:MEAN:SIGMA``: a log-normal with arithmetic mean MEAN tokens and log-space
  standard deviation SIGMA, rounded, clipped to ``[1, cap]``.
* ``sharegpt``: the log-normal fitted to the ShareGPT conversation dataset (below), prompt or
  output according to which length it is drawn for.

Every draw comes from ``numpy.random.default_rng([seed, stream])`` with one stream per
quantity, so the same seed gives the same requests, and changing the rate leaves the lengths as
they were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from archsim.errors import ConfigError
from archsim.serving.requests import Requests

# ShareGPT (the conversations the vLLM paper serves): mean prompt 161.31 tokens and mean output
# 337.99 tokens. Source: Kwon et al., "Efficient Memory Management for Large Language Model
# Serving with PagedAttention" (SOSP 2023), Fig. 11a (ShareGPT input and output length
# distributions, means printed on the panel). Verified against the same paper's text (Sec. 6.1),
# which says ShareGPT has 8.4x longer input prompts and 5.8x longer outputs on average than
# Alpaca, whose Fig. 11b means are 19.31 (input) and 58.45 (output): 161.31 / 19.31 = 8.35 and
# 337.99 / 58.45 = 5.78, which round to the text's 8.4x and 5.8x (tests/test_serve.py checks
# the ratios). The paper gives the means and the (long-tailed) histograms, not a spread:
# the log-space sigma below is [assumption], chosen so the tail past 1,000 tokens is a few per
# cent as the histograms show. Lengths are clipped to CAP_TOKENS as vLLM's benchmark filters
# ShareGPT to fit a 2,048-token window per side [assumption].
SHAREGPT_PROMPT_MEAN = 161.31
SHAREGPT_OUTPUT_MEAN = 337.99
# Alpaca's means from the same figure (Fig. 11b), kept for the cross-check above.
ALPACA_PROMPT_MEAN = 19.31
ALPACA_OUTPUT_MEAN = 58.45
SHAREGPT_SIGMA = 1.0  # [assumption]
CAP_TOKENS = 2048

ARRIVALS = ("poisson", "gamma")
_STREAMS = {"arrival": 0, "prompt": 1, "output": 2}


@dataclass(frozen=True)
class LengthDist:
    """A parsed length distribution; ``kind`` is fixed, uniform or lognormal."""

    kind: str
    a: float
    b: float = 0.0
    cap: int = CAP_TOKENS

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "fixed":
            return np.full(n, int(self.a), np.int64)
        if self.kind == "uniform":
            return rng.integers(int(self.a), int(self.b) + 1, size=n, dtype=np.int64)
        mu = math.log(self.a) - self.b**2 / 2  # arithmetic mean a, log-space sigma b
        values = np.rint(rng.lognormal(mu, self.b, size=n))
        return np.clip(values, 1, self.cap).astype(np.int64)

    @property
    def mean(self) -> float:
        """The mean before clipping and rounding (exact for fixed and uniform)."""
        if self.kind == "fixed":
            return self.a
        if self.kind == "uniform":
            return (self.a + self.b) / 2
        return self.a


def parse_length(text: str, which: str, field: str) -> LengthDist:
    """``text`` as a distribution of ``which`` (prompt or output) lengths; errors name ``field``."""
    forms = "fixed:N, uniform:LO:HI, lognormal:MEAN:SIGMA or sharegpt"
    parts = str(text).strip().split(":")
    kind = parts[0]
    if kind == "sharegpt" and len(parts) == 1:
        mean = SHAREGPT_PROMPT_MEAN if which == "prompt" else SHAREGPT_OUTPUT_MEAN
        return LengthDist("lognormal", mean, SHAREGPT_SIGMA)
    sizes = {"fixed": 2, "uniform": 3, "lognormal": 3}
    if kind not in sizes or len(parts) != sizes[kind]:
        raise ConfigError(f"{field}: {text!r} is not a length distribution; write {forms}")
    try:
        nums = [float(p) for p in parts[1:]]
    except ValueError:
        raise ConfigError(f"{field}: {text!r} has a value that is not a number ({forms})") from None
    if kind in ("fixed", "uniform") and not all(v.is_integer() for v in nums):
        raise ConfigError(f"{field}: {text!r}: token counts are whole numbers")
    if nums[0] < 1:
        raise ConfigError(f"{field}: {text!r}: lengths must be at least 1 token")
    if kind == "uniform" and nums[1] < nums[0]:
        raise ConfigError(f"{field}: {text!r}: HI must be at least LO")
    if kind == "lognormal" and nums[1] <= 0:
        raise ConfigError(f"{field}: {text!r}: SIGMA must be > 0")
    return LengthDist(kind, *nums)


def arrivals(
    n: int, rate: float, kind: str = "poisson", cv: float = 2.0, seed: int = 0
) -> np.ndarray:
    """``n`` arrival times (s) at ``rate`` requests/s: Poisson, or gamma gaps with coefficient of
    variation ``cv`` (cv > 1 is burstier than Poisson; cv = 1 is Poisson)."""
    if not (isinstance(rate, int | float) and math.isfinite(rate) and rate > 0):
        raise ConfigError(f"rate: must be a number of requests/s > 0, got {rate!r}")
    if n < 1:
        raise ConfigError(f"requests: must be at least 1, got {n}")
    if kind not in ARRIVALS:
        raise ConfigError(f"arrival: {kind!r} is not one of {', '.join(ARRIVALS)}")
    rng = np.random.default_rng([seed, _STREAMS["arrival"]])
    if kind == "poisson":
        gaps = rng.exponential(1.0 / rate, size=n)
    else:
        if not cv > 0:
            raise ConfigError(f"cv: the burstiness must be > 0, got {cv}")
        shape = 1.0 / cv**2
        gaps = rng.gamma(shape, 1.0 / (rate * shape), size=n)
    return np.cumsum(gaps)


def generate(
    n: int,
    rate: float,
    prompt: str | LengthDist = "sharegpt",
    output: str | LengthDist = "sharegpt",
    arrival: str = "poisson",
    cv: float = 2.0,
    seed: int = 0,
) -> Requests:
    """A seeded request stream of ``n`` requests at ``rate`` requests/s."""
    p = prompt if isinstance(prompt, LengthDist) else parse_length(prompt, "prompt", "prompt")
    o = output if isinstance(output, LengthDist) else parse_length(output, "output", "output")
    times = arrivals(n, rate, arrival, cv, seed)
    lp = p.draw(np.random.default_rng([seed, _STREAMS["prompt"]]), n)
    lo = o.draw(np.random.default_rng([seed, _STREAMS["output"]]), n)
    return Requests(times, lp, lo)
