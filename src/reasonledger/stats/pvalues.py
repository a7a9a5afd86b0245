"""Two-sided p-values from the t and chi-square(1) distributions, the F upper tail, the normal and t
quantiles, and Holm's correction.

The t and F tails come from the incomplete beta: P(|T_df| > t) = I_{df/(df+t^2)}(df/2, 1/2) and
P(F(d1, d2) > f) = I_{d2/(d2+d1 f)}(d2/2, d1/2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reasonledger.stats.beta import beta_cdf


def t_two_sided(t: float, df: float) -> float:
    if df <= 0 or not math.isfinite(t):
        return 0.0 if math.isinf(t) else float("nan")
    return beta_cdf(df / (df + t * t), df / 2.0, 0.5)


def chi2_1(statistic: float) -> float:
    """P(chi-square with one degree of freedom > statistic)."""
    return math.erfc(math.sqrt(max(statistic, 0.0) / 2.0))


def _bisect(cdf_below, low: float, high: float) -> float:
    for _ in range(200):
        mid = (low + high) / 2
        low, high = (mid, high) if cdf_below(mid) else (low, mid)
    return (low + high) / 2


def normal_quantile(q: float) -> float:
    """Inverse of the standard normal cdf."""
    return _bisect(lambda z: 0.5 * math.erfc(-z / math.sqrt(2.0)) < q, -40.0, 40.0)


def t_quantile(q: float, df: float) -> float:
    """Inverse of Student's t cdf, for q >= 0.5."""
    if q < 0.5:
        return -t_quantile(1.0 - q, df)
    return _bisect(lambda t: 1.0 - t_two_sided(t, df) / 2.0 < q, 0.0, 1e7)


def f_sf(f: float, d1: int, d2: int) -> float:
    """P(F(d1, d2) > f), to three significant figures."""
    return float(f"{beta_cdf(d2 / (d2 + d1 * max(f, 0.0)), d2 / 2, d1 / 2):.3g}")


def correlation_p(r: float, n: int, fitted: int = 2) -> float:
    """p of Pearson's r on n pairs by the t-test with n - fitted degrees of freedom."""
    df = n - fitted
    if df <= 0:
        return float("nan")
    if abs(r) >= 1.0:
        return 0.0
    return t_two_sided(r * math.sqrt(df / (1.0 - r * r)), df)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error control over the tests given)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted, running = [1.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted
