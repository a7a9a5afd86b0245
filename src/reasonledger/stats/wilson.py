"""The Wilson score interval of a binomial proportion.

Used where a rate must be reported with an interval a reader can check by hand (a judge's
false-positive rate per attack probe): unlike the normal approximation it never leaves [0, 1] and
is not zero-width at 0 or n successes, so "0 of 1,319" still states how high the rate might be.
"""

from __future__ import annotations

import math
from statistics import NormalDist


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The two-sided Wilson score interval at `level` for `successes` out of `n` (n = 0 gives (0, 1))."""
    if not 0 <= successes <= n:
        raise ValueError(f"wilson_interval: successes={successes} must lie in [0, n={n}]")
    if n == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the edges, not 1e-19
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


__all__ = ["wilson_interval"]
