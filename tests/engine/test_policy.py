"""Operator-set limits: data (rows, recipes, recorded verdicts) may tighten a verifier's limits, never loosen them."""

from __future__ import annotations

import pytest

from reasonledger.userconfig import UserConfigError
from reasonledger.verifiers.policy import LIMIT_KEYS, clamp_data_config, operator_limits


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    """Tests see only the config they write, never the developer's own file."""
    monkeypatch.delenv("REASONLEDGER_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def user_config(tmp_path, monkeypatch, text: str) -> None:
    path = tmp_path / "operator.yaml"
    path.write_text(text)
    monkeypatch.setenv("REASONLEDGER_CONFIG", str(path))


def test_a_row_cannot_raise_the_code_memory_cap():
    assert clamp_data_config("code", {"memory_limit_mb": 6144})["memory_limit_mb"] == 1024


def test_a_row_may_tighten():
    got = clamp_data_config("code", {"memory_limit_mb": 256, "time_limit": 0.5, "min_isolation": "worker",
                                     "fail_fast": True})
    assert got == {"memory_limit_mb": 256, "time_limit": 0.5, "min_isolation": "worker", "fail_fast": True}


@pytest.mark.parametrize("value", [None, float("inf"), float("nan"), -1, "1e12", True, [1]])
def test_values_that_would_disable_a_bound_are_ignored(value):
    assert "max_factorial" not in clamp_data_config("math", {"max_factorial": value})


def test_switches_that_loosen_checks_are_ignored():
    assert clamp_data_config("code", {"min_isolation": "none", "slots": 64, "mode": "worker", "fail_fast": False}) == {
        "min_isolation": "spawn"}
    assert clamp_data_config("math", {"strict_labels": False, "rel_tol": 0.5, "points": 1}) == {"rel_tol": 1e-6}
    assert clamp_data_config("reasoning_gym", {"pass_threshold": 0.0})["pass_threshold"] == 1.0
    assert clamp_data_config("exact", {"choice": True, "case_sensitive": False}) == {}


def test_keys_that_are_not_limits_are_kept():
    assert clamp_data_config("reasoning_gym", {"dataset": "leg_counting"}) == {"dataset": "leg_counting"}
    assert clamp_data_config("some_plugin", {"anything": 9}) == {"anything": 9}


def test_every_math_bound_is_declared():
    from dataclasses import fields

    from reasonledger.verifiers.math.limits import Limits
    from reasonledger.verifiers.math.verifier import DEFAULTS as MATH
    from reasonledger.verifiers.code.verifier import DEFAULTS as CODE

    assert {f.name for f in fields(Limits)} <= set(LIMIT_KEYS["math"])
    numeric = {k for k, v in {**MATH, **CODE}.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    assert numeric <= set(LIMIT_KEYS["math"]) | set(LIMIT_KEYS["code"])


def test_the_operator_config_raises_the_maximum(tmp_path, monkeypatch):
    user_config(tmp_path, monkeypatch, "limits:\n  code: {memory_limit_mb: 4096}\n")
    assert operator_limits("code")["memory_limit_mb"] == 4096
    assert clamp_data_config("code", {"memory_limit_mb": 3000})["memory_limit_mb"] == 3000
    assert clamp_data_config("code", {"memory_limit_mb": 6144})["memory_limit_mb"] == 4096


def test_a_bad_operator_config_is_named(tmp_path, monkeypatch):
    user_config(tmp_path, monkeypatch, "limits:\n  code: {memory_mb: 4096}\n")
    with pytest.raises(UserConfigError, match="limits.code.memory_mb: not a limit.*memory_limit_mb"):
        clamp_data_config("code", {})
    user_config(tmp_path, monkeypatch, "limit: {}\n")
    with pytest.raises(UserConfigError, match="operator.yaml: limit: Extra inputs"):
        operator_limits("code")
    monkeypatch.setenv("REASONLEDGER_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(UserConfigError, match="missing.yaml.*cannot read"):
        operator_limits("code")
