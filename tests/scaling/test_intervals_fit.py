"""Curve-fit intervals: nominal coverage on simulated curves, and degenerate fits that say they know nothing.

Coverage designs: the curve R0 = 0.1, A = 0.6, B = 1.5, C_mid = 1e3, observed at 12 or 6 log-spaced
compute values from 1e1 to 1e5 with Gaussian noise (the residual bootstrap covered 85-91% with 12
points and about 75% with 6). An unidentified parameter counts as a miss. Full tables:
benchmarks/scaling_coverage.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from reasonledger.scaling.sigmoid import PARAMS, FitError, fit_sigmoid, sigmoid

TRUE = {"R0": 0.1, "A": 0.6, "B": 1.5, "C_mid": 1000.0}
LEVEL = 0.95
REPLICATES = 200


def coverage(points: int, noise: float, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    compute = np.logspace(1, 5, points)
    curve = sigmoid(compute, *TRUE.values())
    hits = dict.fromkeys(PARAMS, 0)
    for _ in range(REPLICATES):
        fit = fit_sigmoid(compute, curve + rng.normal(0, noise, points), n_boot=0, level=LEVEL)
        for name in PARAMS:
            interval = fit.intervals[name]
            hits[name] += bool(interval and interval[0] <= TRUE[name] <= interval[1])
    return {name: n / REPLICATES for name, n in hits.items()}


@pytest.mark.parametrize("points, noise", [(12, 0.02), (6, 0.01)])
def test_t_intervals_reach_nominal_coverage(points: int, noise: float) -> None:
    for name, rate in coverage(points, noise).items():
        assert abs(rate - LEVEL) <= 0.03, (name, rate)


def test_one_compute_value_is_an_error() -> None:
    with pytest.raises(FitError, match="1 distinct compute value"):
        fit_sigmoid([100.0] * 6, [0.1, 0.2, 0.15, 0.12, 0.18, 0.16])
    with pytest.raises(FitError, match="3 distinct compute"):
        fit_sigmoid([10, 10, 100, 100, 1000, 1000], [0.1, 0.12, 0.3, 0.31, 0.5, 0.52])


def _never_absurd(fit) -> None:
    shown = fit.as_dict()
    for name in PARAMS:
        interval = shown["intervals"][name]
        if shown["status"][name] == "unidentified":
            assert shown["params"][name] is None and interval is None
        else:
            assert interval[1] > interval[0]  # never zero width
    for name in ("R0", "A"):
        if shown["params"][name] is not None:
            assert abs(shown["params"][name]) < 10


def test_a_flat_curve_leaves_efficiency_and_inflection_unidentified() -> None:
    compute = np.logspace(1, 5, 12)
    fit = fit_sigmoid(compute, 0.4 + np.random.default_rng(0).normal(0, 0.005, 12), n_boot=0)
    assert fit.status["B"] == "unidentified" and fit.status["C_mid"] == "unidentified"
    assert any("B is unidentified" in w for w in fit.warnings)
    _never_absurd(fit)


def test_an_exactly_flat_curve_identifies_nothing() -> None:
    fit = fit_sigmoid(np.logspace(1, 5, 12), np.full(12, 0.4), n_boot=0)
    assert set(fit.status.values()) == {"unidentified"}
    _never_absurd(fit)


def test_a_zig_zag_gives_no_estimates() -> None:
    fit = fit_sigmoid(np.logspace(1, 5, 12), np.where(np.arange(12) % 2 == 0, 0.2, 0.5), n_boot=0)
    assert "unidentified" in fit.status.values()
    _never_absurd(fit)


def test_rise_then_fall_is_flagged_by_lack_of_fit_and_monotonicity() -> None:
    compute = np.logspace(1, 5, 12)
    reward = np.concatenate([sigmoid(compute[:8], 0.1, 0.6, 1.5, 300), [0.5, 0.42, 0.35, 0.3]])
    fit = fit_sigmoid(compute, reward + np.random.default_rng(0).normal(0, 0.005, 12), n_boot=0)
    assert fit.lack_of_fit["p"] < 0.01 and fit.monotonicity["falls"]
    assert any("lack of fit" in w for w in fit.warnings) and any("falls by" in w for w in fit.warnings)
    assert fit.as_dict()["rms"] > 0.01  # the residual size is reported


def test_a_good_fit_passes_both_checks() -> None:
    compute = np.logspace(1, 5, 12)
    fit = fit_sigmoid(compute, sigmoid(compute, *TRUE.values()) + np.random.default_rng(1).normal(0, 0.01, 12), n_boot=0)
    assert fit.lack_of_fit["p"] > 0.05 and fit.monotonicity["falls"] is False and fit.identified


def test_repeated_compute_values_use_the_pure_error_test() -> None:
    compute = np.repeat(np.logspace(1, 5, 8), 2)
    reward = sigmoid(compute, *TRUE.values()) + np.random.default_rng(1).normal(0, 0.01, 16)
    assert fit_sigmoid(compute, reward, n_boot=0).lack_of_fit["test"].startswith("pure error")
