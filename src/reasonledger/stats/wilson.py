"""The Wilson score interval of a binomial proportion, from whole counts.

Used where a rate must be reported with an interval a reader can check by hand (a judge's
false-positive rate per attack probe): unlike the normal approximation it never leaves [0, 1] and
is not zero-width at 0 or n successes, so "0 of 1,319" still states how high the rate might be.
The interval itself is computed once, in `proportion.py` (which pass@k calls with an effective
number of trials), so a judge card and a pass@k table never compute it two ways.
"""

from __future__ import annotations

from reasonledger.stats import proportion


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The two-sided Wilson score interval at `level` for `successes` out of `n` (n = 0 gives (0, 1))."""
    if not 0 <= successes <= n:
        raise ValueError(f"wilson_interval: successes={successes} must lie in [0, n={n}]")
    if n == 0:
        return 0.0, 1.0
    return proportion.wilson_interval(successes / n, n, level)


__all__ = ["wilson_interval"]
