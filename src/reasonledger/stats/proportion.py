"""The Wilson score interval of a proportion, for an effective (design-adjusted) number of trials.

Among intervals computed from an effective sample size (the trials divided by the design effect),
Wilson's form is the one Franco, Little, Louis and Slud (2019, JSSAM 7(3)) recommend for complex
samples; it has coverage near nominal on average over the true proportion (Brown, Cai and DasGupta
2001) and keeps a width the trials allow at 0 and 1.
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
