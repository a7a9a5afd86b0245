"""The compute-performance sigmoid: recovers known curves, warns when points stop before the inflection."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from reasonledger.scaling.gain import split_gain
from reasonledger.scaling.sigmoid import FitError, fit_sigmoid, sigmoid

TRUE = {"R0": 0.1, "A": 0.62, "B": 1.5, "C_mid": 1000.0}


def _points(low: float, high: float, n: int, seed: int, noise: float = 0.005, **params: float):
    p = {**TRUE, **params}
    compute = np.logspace(low, high, n)
    reward = sigmoid(compute, p["R0"], p["A"], p["B"], p["C_mid"]) + np.random.default_rng(seed).normal(0, noise, n)
    return compute, reward


def test_recovers_known_parameters_when_points_span_the_inflection() -> None:
    fit = fit_sigmoid(*_points(1, 5, 16, seed=1), n_boot=200)
    assert fit.warnings == [] and fit.reaches_inflection
    for name, truth in TRUE.items():
        low, high = fit.intervals[name]
        assert low <= truth <= high, (name, truth, fit.intervals[name])
    assert fit.params["A"] == pytest.approx(0.62, abs=0.01)
    assert fit.params["C_mid"] == pytest.approx(1000, rel=0.1)


def test_points_before_the_inflection_give_a_warning_and_a_wide_ceiling() -> None:
    fit = fit_sigmoid(*_points(1, 2.5, 10, seed=1), n_boot=200)
    assert not fit.reaches_inflection
    assert any("do not reach the inflection" in w for w in fit.warnings)
    # the flat start is compatible with almost any ceiling: A is not reported as a number
    assert fit.status["A"] == "unidentified" and fit.as_dict()["params"]["A"] is None


def test_fixed_r0_is_kept_and_fewer_parameters_are_fitted() -> None:
    fit = fit_sigmoid(*_points(1, 5, 12, seed=2), r0=0.1, n_boot=50)
    assert fit.fixed_r0 and fit.params["R0"] == 0.1 and fit.intervals["R0"] == (0.1, 0.1)
    assert fit.params["B"] == pytest.approx(1.5, rel=0.1)


@pytest.mark.parametrize("compute, reward, message", [
    ([1, 2, 3], [0.1, 0.2, 0.3], "cannot determine 4 parameters"),
    ([1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4], "cannot fit 4 parameters"),
    ([0, 1, 2, 3, 4], [0.1] * 5, "positive"),
    ([1, 2, 3, 4, 5], [0.1, 0.2, float("nan"), 0.3, 0.4], "finite"),
])
def test_bad_points_are_refused(compute: list[float], reward: list[float], message: str) -> None:
    with pytest.raises(FitError, match=message):
        fit_sigmoid(compute, reward, n_boot=0)


def test_a_higher_ceiling_alone_is_all_ceiling_share() -> None:
    # noise-free points would give zero-width intervals, which the fit reports as unidentified
    base = fit_sigmoid(*_points(1, 5, 16, seed=1, noise=0.0005), r0=0.1, n_boot=0)
    new = fit_sigmoid(*_points(1, 5, 16, seed=1, noise=0.0005, A=0.8), r0=0.1, n_boot=0)
    split = split_gain(base, new)
    assert split["compute"] == pytest.approx(1e5)
    assert split["shares"]["ceiling"] == pytest.approx(split["gain"], abs=2e-3)
    assert split["shares"]["efficiency"] == pytest.approx(0.0, abs=2e-3)


def test_no_split_from_a_fit_with_unidentified_parameters() -> None:
    base = fit_sigmoid(*_points(1, 5, 12, seed=1), n_boot=0)
    flat = fit_sigmoid(np.logspace(1, 5, 12), np.full(12, 0.3) + np.random.default_rng(0).normal(0, 0.005, 12), n_boot=0)
    split = split_gain(base, flat)
    assert split["shares"] is None and "unidentified" in split["warnings"][0]


def test_shares_of_a_mixed_gain_add_up_and_carry_intervals() -> None:
    base = fit_sigmoid(*_points(1, 5, 16, seed=1), n_boot=100)
    new = fit_sigmoid(*_points(1, 5, 16, seed=2, A=0.7, C_mid=300.0), n_boot=100)
    split = split_gain(base, new, compute=3000.0)
    assert sum(split["shares"].values()) == pytest.approx(split["gain"], abs=1e-9)
    assert split["shares"]["efficiency"] > 0 and split["shares"]["ceiling"] > 0
    low, high = split["intervals"]["ceiling"]
    assert low <= split["shares"]["ceiling"] <= high


def test_without_scipy_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    with pytest.raises(FitError, match=r"pip install 'reasonledger\[scaling\]'"):
        fit_sigmoid(*_points(1, 5, 8, seed=1), n_boot=0)
