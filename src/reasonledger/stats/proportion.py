"""The Wilson score interval of a proportion: from an effective (design-adjusted) number of trials
(pass@k), or from whole counts (a judge's false-positive rate per attack probe).

Among intervals computed from an effective sample size (the trials divided by the design effect),
Wilson's form is the one Franco, Little, Louis and Slud (2019, JSSAM 7(3)) recommend for complex
samples; it has coverage near nominal on average over the true proportion (Brown, Cai and DasGupta
2001) and keeps a width the trials allow at 0 and 1. Unlike the normal approximation it never
leaves [0, 1] and is not zero-width at 0 or n successes, so "0 of 1,319" still states how high a
rate might be. Both forms are this one formula, so a judge card and a pass@k table never compute it
two ways.
"""

from __future__ import annotations

import math

from reasonledger.stats.pvalues import normal_quantile


def wilson_interval(p: float, n: float, level: float) -> tuple[float, float]:
    """The `level` Wilson score interval of a proportion `p` observed in `n` trials (`n` may be an
    effective, non-integer number of trials)."""
    if not 0 <= p <= 1 or not n > 0:
        raise ValueError(f"need 0 <= p <= 1 and n > 0, got p={p}, n={n}")
    z2 = normal_quantile(0.5 + level / 2) ** 2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = math.sqrt(z2 * p * (1 - p) / n + z2 * z2 / (4 * n * n)) / (1 + z2 / n)
    return (0.0 if p == 0 else max(0.0, centre - half)), (1.0 if p == 1 else min(1.0, centre + half))


def wilson_counts(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """The two-sided Wilson score interval at `level` for `successes` out of `n` (n = 0 gives (0, 1))."""
    if not 0 <= successes <= n:
        raise ValueError(f"wilson_counts: successes={successes} must lie in [0, n={n}]")
    if n == 0:
        return 0.0, 1.0
    return wilson_interval(successes / n, n, level)
