"""The shared statistics against an independent implementation (scipy, when installed) and by hand:
the Beta distribution behind every posterior interval, the t tail, Holm's correction, and the two
forms of the Wilson interval, which must agree so that a judge card and a pass@k table never state
different intervals for the same counts."""

from __future__ import annotations

import pytest

from reasonledger.stats import proportion, wilson
from reasonledger.stats.beta import beta_cdf, beta_interval, clopper_pearson
from reasonledger.stats.pvalues import holm, t_two_sided


def test_holm_by_hand():
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> kept monotone at 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == [1.0, 1.0] and holm([]) == []


@pytest.mark.parametrize("successes, n", [(0, 1), (0, 1319), (3, 10), (50, 100), (99, 100), (7, 7)])
def test_the_two_wilson_forms_agree_on_whole_counts(successes, n):
    for level in (0.9, 0.95, 0.99):
        assert wilson.wilson_interval(successes, n, level) == pytest.approx(
            proportion.wilson_interval(successes / n, n, level), abs=1e-9)


def test_beta_t_and_exact_intervals_match_scipy():
    stats = pytest.importorskip("scipy.stats", reason="scipy (the [scaling] extra) is the independent reference")
    for a, b in ((0.5, 0.5), (1, 1), (3, 17), (40, 2.5)):
        for x in (0.01, 0.2, 0.5, 0.93):
            assert beta_cdf(x, a, b) == pytest.approx(stats.beta.cdf(x, a, b), abs=1e-9)
    for t, df in ((0.3, 4), (2.1, 12), (5.0, 60)):
        assert t_two_sided(t, df) == pytest.approx(2 * stats.t.sf(t, df), rel=1e-7)
    low, high = beta_interval(3, 10, (1.0, 1.0), 0.95)
    assert (low, high) == pytest.approx((stats.beta.ppf(0.025, 4, 8), stats.beta.ppf(0.975, 4, 8)), abs=1e-9)
    low, high = clopper_pearson(3, 10, 0.95)
    assert (low, high) == pytest.approx((stats.beta.ppf(0.025, 3, 8), stats.beta.ppf(0.975, 4, 7)), abs=1e-9)
    assert clopper_pearson(0, 5, 0.95)[0] == 0.0 and clopper_pearson(5, 5, 0.95)[1] == 1.0
