"""The shared statistics against an independent implementation (scipy, when installed) and by hand:
the Beta distribution behind every posterior interval, the t and F tails, Holm's correction, and the Wilson
interval, computed once for whole counts (judge cards) and effective trials (pass@k)."""

from __future__ import annotations

import pytest

from reasonledger.stats import proportion
from reasonledger.stats.beta import beta_cdf, beta_interval
from reasonledger.stats.pvalues import f_sf, holm, t_two_sided


def test_holm_by_hand():
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> kept monotone at 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == [1.0, 1.0] and holm([]) == []


@pytest.mark.parametrize("successes, n", [(0, 1), (0, 1319), (3, 10), (50, 100), (99, 100), (7, 7), (197, 200),
                                          (200, 200), (0, 50), (7, 13)])
def test_the_wilson_interval_of_counts_is_the_one_of_effective_trials_and_matches_scipy(successes, n):
    stats = pytest.importorskip("scipy.stats", reason="scipy (the [scaling] extra) is the independent reference")
    for level in (0.9, 0.95, 0.99):
        low, high = proportion.wilson_counts(successes, n, level)
        assert (low, high) == proportion.wilson_interval(successes / n, n, level)
        z, p = stats.norm.ppf(0.5 + level / 2), successes / n  # the textbook formula
        centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
        assert (low, high) == pytest.approx((max(0.0, centre - half), min(1.0, centre + half)), abs=1e-9)
        want = stats.binomtest(successes, n).proportion_ci(confidence_level=level, method="wilson")
        assert (low, high) == pytest.approx((want.low, want.high), abs=1e-12)
    assert (low == 0.0) == (successes == 0) and (high == 1.0) == (successes == n)
    assert proportion.wilson_counts(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError, match="must lie in"):
        proportion.wilson_counts(3, 2)


def test_beta_t_and_f_match_scipy():
    stats = pytest.importorskip("scipy.stats", reason="scipy (the [scaling] extra) is the independent reference")
    for a, b in ((0.5, 0.5), (1, 1), (3, 17), (40, 2.5)):
        for x in (0.01, 0.2, 0.5, 0.93):
            assert beta_cdf(x, a, b) == pytest.approx(stats.beta.cdf(x, a, b), abs=1e-9)
    for t, df in ((0.3, 4), (2.1, 12), (5.0, 60)):
        assert t_two_sided(t, df) == pytest.approx(2 * stats.t.sf(t, df), rel=1e-7)
    for f, d1, d2 in ((0.0, 2, 5), (0.7, 1, 30), (3.2, 4, 12), (25.0, 2, 9)):  # the sigmoid's lack-of-fit p
        assert f_sf(f, d1, d2) == pytest.approx(stats.f.sf(f, d1, d2), rel=5e-3)
    low, high = beta_interval(3, 10, (1.0, 1.0), 0.95)
    assert (low, high) == pytest.approx((stats.beta.ppf(0.025, 4, 8), stats.beta.ppf(0.975, 4, 8)), abs=1e-9)
