"""Operator-set limits: data (rows, recipes, recorded verdicts) may tighten a verifier's limits, never loosen them."""

from __future__ import annotations

import json
import threading
from dataclasses import fields
from typing import Any, ClassVar

import pytest

from reasonledger.records.model import Record
from reasonledger.userconfig import UserConfigError
from reasonledger.verifiers import Verifier, get_verifier, register
from reasonledger.verifiers.policy import LIMIT_KEYS, clamp_data_config, operator_limits
from reasonledger.verifiers.pool import VerifierPool


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
    user_config(tmp_path, monkeypatch, "limits:\n  code: {memory_limit_mb: 2G}\n")
    with pytest.raises(UserConfigError, match="limits.code.memory_limit_mb: '2G' is not a finite number"):
        clamp_data_config("code", {})  # a typo must not leave data unbounded
    user_config(tmp_path, monkeypatch, "limits:\n  code: {min_isolation: weak}\n")
    with pytest.raises(UserConfigError, match="limits.code.min_isolation: 'weak' is not none or spawn or worker"):
        clamp_data_config("code", {})
    user_config(tmp_path, monkeypatch, "limit: {}\n")
    with pytest.raises(UserConfigError, match="operator.yaml: limit: Extra inputs"):
        operator_limits("code")
    monkeypatch.setenv("REASONLEDGER_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(UserConfigError, match="missing.yaml.*cannot read"):
        operator_limits("code")


# -- the verifier pool: one instance per allowed config, a bounded number alive ---------------------------

def row(verifier: str, config: dict, reference: Any = "1", response: str = "1") -> Record:
    return Record(kind="prompt_answer", task={"prompt": "p", "reference": reference, "source": {"dataset": "t"},
                                              "verifier": {"name": verifier, "config": config}},
                  behaviour={"response": response})


def test_a_row_raising_the_code_memory_cap_runs_under_the_operators_cap():
    pool = VerifierPool(None, {}, None)
    verifier = pool.for_record(row("code", {"memory_limit_mb": 6144}))
    assert verifier.options["memory_limit_mb"] == 1024
    assert verifier.limits.memory == 1024 << 20
    assert verifier.card()["config"]["memory_limit_mb"] == 1024
    assert verifier.config_hash == get_verifier("code").config_hash  # its verdicts say: the operator's config


def test_a_step_asking_for_more_is_told_and_still_cannot_raise_it(tmp_path, monkeypatch):
    from reasonledger.construct.verify import Verify

    with pytest.raises(ValueError, match=r"config.memory_limit_mb: 6144 is looser than the operator's 1024 .*"
                                         r"limits: \{code: \{memory_limit_mb: ...\}\}"):
        Verify(verifier="code", config={"memory_limit_mb": 6144})
    with pytest.raises(ValueError, match="config.timeout: 30 is looser than the operator's 1.0 for the math verifier"):
        Verify(config={"timeout": 30})  # no verifier named: checked against every verifier it may reach
    Verify(verifier="code", config={"memory_limit_mb": 512, "min_isolation": "worker"})
    assert VerifierPool("code", {"memory_limit_mb": 6144}, None).for_record(row("code", {})).options[
        "memory_limit_mb"] == 1024
    user_config(tmp_path, monkeypatch, "limits:\n  code: {memory_limit_mb: 2048, slots: 2}\n")
    verifier = VerifierPool(None, {}, None).for_record(row("code", {"memory_limit_mb": 6144, "slots": 64}))
    assert (verifier.options["memory_limit_mb"], verifier.options["slots"]) == (2048, 2)


def test_a_row_option_the_verifier_does_not_take_is_that_rows_error():
    with pytest.raises(ValueError, match="code verifier config: unknown code verifier option"):
        VerifierPool(None, {}, None).for_record(row("code", {"no_such_option": 1}))


def test_a_math_row_disabling_every_bound_does_not_hang():
    from reasonledger.verifiers.math.limits import Limits

    unbounded = {f.name: 10**15 for f in fields(Limits)} | {"timeout": 1e9}
    verifier = VerifierPool(None, {}, None).for_record(row("math", unbounded))
    assert verifier.config == get_verifier("math").config
    done: list = []
    worker = threading.Thread(target=lambda: done.append(verifier.verify("1", r"\boxed{99999999!}")), daemon=True)
    worker.start()
    worker.join(60)  # unclamped, this computes 99999999! and never returns in time
    assert done and not done[0].passed and "factorial" in done[0].evidence["reason"]


@register
class PoolProbe(Verifier):
    """A verifier that holds a 'pool' once used, like code and math do: counts how many are open."""

    id = "pool_probe_h3"
    version = "0.0.1"
    open_now: ClassVar[int] = 0
    most_open: ClassVar[int] = 0
    made: ClassVar[int] = 0

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.holding = False
        PoolProbe.made += 1

    def verify_many(self, pairs):
        if not self.holding:
            self.holding = True
            PoolProbe.open_now += 1
            PoolProbe.most_open = max(PoolProbe.most_open, PoolProbe.open_now)
        return [self.verdict(True) for _ in pairs]

    def close(self) -> None:
        if self.holding:
            self.holding = False
            PoolProbe.open_now -= 1


def test_distinct_row_configs_keep_the_open_instances_bounded():
    pool = VerifierPool(None, {}, None)
    PoolProbe.open_now = PoolProbe.most_open = PoolProbe.made = 0
    for _ in range(2):  # a second pass reopens closed instances; they are closed again
        records = [row("pool_probe_h3", {"variant": i}) for i in range(25)]
        verdicts = pool.check([(pool.for_record(r), r.task.reference, "1", "answer") for r in records])
        assert len(verdicts) == 25 and all(v.passed for v in verdicts)
        assert PoolProbe.open_now <= VerifierPool.MAX_OPEN
    assert PoolProbe.most_open <= VerifierPool.MAX_OPEN + 1  # those kept open, and the one running its share
    assert PoolProbe.made == 25  # one instance per config, reused
    assert pool.versions() == {"pool_probe_h3": "0.0.1"}


def test_the_instances_kept_are_bounded_too(monkeypatch):
    monkeypatch.setattr(VerifierPool, "MAX_KEPT", 10)
    pool = VerifierPool(None, {}, None)
    PoolProbe.open_now = PoolProbe.made = 0
    records = [row("pool_probe_h3", {"variant": i % 30}) for i in range(90)]
    verifiers = [pool.for_record(r) for r in records]
    assert len(pool._instances) == 10 and PoolProbe.made == 90  # cycling past the bound re-creates
    pool.check([(v, r.task.reference, "1", "answer") for v, r in zip(verifiers, records)])
    assert PoolProbe.open_now <= VerifierPool.MAX_OPEN


def test_a_broken_operator_config_stops_the_pool_not_each_row(tmp_path, monkeypatch):
    user_config(tmp_path, monkeypatch, "limits: {math: {timeout: 2, max_nothing: 1}}\n")
    with pytest.raises(UserConfigError, match="limits.math.max_nothing: not a limit of the math verifier"):
        VerifierPool(None, {}, None)


def test_the_pool_runs_the_operators_settings_with_the_allowed_part_of_the_rows(tmp_path, monkeypatch):
    from reasonledger.verifiers.policy import verifier_config

    user_config(tmp_path, monkeypatch, "limits:\n  math: {timeout: 3.0, max_depth: 60}\n")
    asked = {"timeout": 10, "max_depth": 20, "choices": "AB"}
    assert verifier_config("math", asked) == {"timeout": 3.0, "max_depth": 20, "choices": "AB"}
    verifier = VerifierPool(None, {}, None).for_record(row("math", asked))
    assert verifier.config == get_verifier("math", **verifier_config("math", asked)).config


def test_a_program_over_the_operators_memory_cap_fails_though_its_row_asked_for_more(tmp_path, monkeypatch):
    from reasonledger.verifiers.code.probe import probe

    if probe()["level_value"] < 2:
        pytest.skip(f"no sandbox here: {probe().get('missing')}")
    user_config(tmp_path, monkeypatch, "limits:\n  code: {memory_limit_mb: 256, slots: 1}\n")
    reference = {"format": "call", "fn_name": "f", "cases": [{"args": [], "expected": 1}]}
    program = "def f():\n    block = bytearray(600 << 20)\n    return 1\n"
    record = row("code", {"memory_limit_mb": 6144}, reference=reference, response=program)
    pool = VerifierPool(None, {}, None)
    verifier = pool.for_record(record)
    try:
        [verdict] = pool.check([(verifier, reference, program, "answer")])
        small = "def f():\n    return 1\n"
        [control] = pool.check([(verifier, reference, small, "answer")])
    finally:
        verifier.close()
    assert control.passed  # the sandbox runs programs under the cap
    assert not verdict.passed, verdict.evidence["first_failure"]


def test_trainer_rewards_run_a_rows_verifier_under_the_operators_limits():
    from reasonledger.rewards import _verifier

    rewarded = _verifier("code", '{"memory_limit_mb": 6144, "time_limit": 2}')
    assert (rewarded.options["memory_limit_mb"], rewarded.options["time_limit"]) == (1024, 2)


def test_rewards_share_the_bounded_pool():
    """A trainer scoring rows of 25 distinct configs keeps as few open as a build does (rewards.py
    once kept 256 instances in an lru_cache and closed none)."""
    from reasonledger.rewards import compute_score_batch

    PoolProbe.open_now = PoolProbe.most_open = PoolProbe.made = 0
    extra = [{"verifier": "pool_probe_h3", "verifier_config_json": json.dumps({"variant": i})} for i in range(25)]
    scores = compute_score_batch(data_sources=["probe"] * 25, solution_strs=["1"] * 25,
                                 ground_truths=["1"] * 25, extra_infos=extra)
    assert scores == [1.0] * 25
    assert PoolProbe.made == 25 and PoolProbe.open_now <= VerifierPool.MAX_OPEN
