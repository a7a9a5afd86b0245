"""The length trap reads attempts at the same prompt: a difficulty effect is not a trap, a within-prompt one is."""

from __future__ import annotations

import numpy as np
import pytest

from reasonledger.quality.length_trap import LengthTrapAudit
from reasonledger.quality.outcomes import outcomes
from reasonledger.quality.report import headline, render_markdown
from reasonledger.records.model import Record, Verdict
from reasonledger.stats.clogit import first_effect


def rollout_set(prompt: str, lengths: list[int], passed: list[bool], model: str = "m1") -> Record:
    return Record(kind="rollout_set", task={"prompt": prompt, "reference": "4", "source": {"dataset": "toy"}},
                  behaviour={"rollouts": [{"response": " ".join(["w"] * n), "meta": {"model": model}} for n in lengths]},
                  verdicts=[Verdict(verifier="grader", version="1", target=f"rollout:{j}", score=float(p), passed=p)
                            for j, p in enumerate(passed)])


def audit(records: list[Record]) -> dict:
    trap = LengthTrapAudit()
    for record in records:
        trap.add(outcomes(record))
    return trap.result()


def test_gsm8k_solutions_are_no_trap_within_problems(shared_data) -> None:
    from reasonledger.formats.importers.gsm8k import read_gsm8k_solutions

    result = audit(list(read_gsm8k_solutions(shared_data / "gsm8k" / "example_model_solutions.jsonl")))
    overall = result["overall"]
    assert overall["pooled"]["r"] == pytest.approx(-0.19, abs=0.005)  # the pooled figure, still shown
    within = overall["within_prompts"]
    assert within["informative_prompts"] == 731 and within["r"] == pytest.approx(0.083, abs=0.002)
    logit = within["conditional_logit"]  # problem strata, policy indicators
    assert logit["log_odds_ratio_per_sd"] == pytest.approx(0.127, abs=0.002)
    assert (logit["interval"][1] - logit["interval"][0]) / 2 == pytest.approx(0.135, abs=0.002)
    assert len(logit["covariates"]) == 4
    assert not result["trap"] and result["flagged"] == []
    for policy in result["by_policy"].values():  # one attempt per problem and policy
        assert policy["within_prompts"]["status"] == "not_separable" and not policy["flagged"]
    line = headline("length_trap", result)
    assert line.startswith("no trap within prompts") and "pooled r = -0.191" in line


def test_longer_attempts_at_the_same_prompt_being_wrong_is_flagged() -> None:
    rng = np.random.default_rng(1)
    records = []
    for i in range(60):
        base = rng.integers(20, 200)  # prompts differ in length scale; difficulty varies too
        lengths = (base + rng.integers(0, 80, size=6)).tolist()
        # within a prompt, the longer half of attempts fail more often
        order = np.argsort(np.argsort(lengths))
        passed = [bool(rng.random() < (0.8 if rank < 3 else 0.25)) for rank in order]
        records.append(rollout_set(f"q{i}", lengths, passed))
    result = audit(records)
    within = result["overall"]["within_prompts"]
    assert within["status"] == "measured" and within["conditional_logit"]["log_odds_ratio_per_sd"] < 0
    assert result["trap"] and "overall" in result["flagged"]
    assert headline("length_trap", result).startswith("TRAP: within the same prompt")
    assert "| overall |" in render_markdown({"records": 60, "length_trap": result})


def test_a_pure_difficulty_effect_is_not_flagged() -> None:
    """Hard prompts get long attempts and fail; within each prompt length says nothing."""
    rng = np.random.default_rng(2)
    records = []
    for i in range(200):
        hard = i % 2 == 0
        lengths = (rng.integers(150, 250, size=4) if hard else rng.integers(20, 80, size=4)).tolist()
        passed = [bool(rng.random() < (0.2 if hard else 0.8)) for _ in lengths]
        records.append(rollout_set(f"q{i}", lengths, passed))
    result = audit(records)
    assert result["overall"]["pooled"]["r"] < -0.3
    assert not result["trap"]


def test_one_attempt_per_prompt_is_never_flagged() -> None:
    records = [rollout_set(f"q{i}", [10 + 50 * (i % 2)], [i % 2 == 0]) for i in range(40)]
    result = audit(records)
    assert result["overall"]["pooled"]["r"] == pytest.approx(-1.0)
    assert result["overall"]["within_prompts"]["status"] == "not_separable"
    assert not result["trap"] and result["groups_tested"] == 0
    assert "cannot be separated" in headline("length_trap", result)


def test_conditional_logit_matches_the_two_attempt_closed_form() -> None:
    """With two attempts and one pass, the conditional likelihood is a logistic regression on x1 - x2
    through the origin; its MLE for a single binary difference has the closed form log(a/b)."""
    strata, y, x = [], [], []
    for i, (longer_passed) in enumerate([True] * 30 + [False] * 10):
        strata += [i, i]
        y += [longer_passed, not longer_passed]
        x += [1.0, 0.0]
    effect = first_effect(np.array(strata), np.array(y), np.array(x)[:, None])
    assert effect.coef == pytest.approx(np.log(30 / 10), abs=1e-6)
    assert effect.se == pytest.approx(np.sqrt(1 / 30 + 1 / 10), abs=1e-6)


def test_conditional_likelihood_equals_enumeration_over_subsets() -> None:
    """The recursion's log-likelihood against summing exp(x b) over every subset of each stratum."""
    from itertools import combinations

    from reasonledger.stats.clogit import _blocks, _terms

    rng = np.random.default_rng(3)
    strata = np.repeat(np.arange(12), 7)
    y = rng.random(len(strata)) < 0.4
    x = rng.normal(size=(len(strata), 3)) * 3
    beta = np.array([0.7, -1.3, 0.4])
    expected = 0.0
    for h in range(12):
        rows = np.flatnonzero(strata == h)
        s = int(y[rows].sum())
        if 0 < s < len(rows):
            eta = x[rows] @ beta
            expected += eta[y[rows]].sum() - np.log(sum(np.exp(eta[list(c)].sum()) for c in combinations(range(len(rows)), s)))
    loglik, gradient, _ = _terms(_blocks(strata, y, x), beta)
    assert loglik == pytest.approx(expected, rel=1e-10)
    step = 1e-6  # the analytic gradient against a central difference
    numeric = [(_terms(_blocks(strata, y, x), beta + step * e)[0] - _terms(_blocks(strata, y, x), beta - step * e)[0])
               / (2 * step) for e in np.eye(3)]
    assert gradient == pytest.approx(numeric, rel=1e-5)


def test_processbench_has_one_attempt_per_policy_and_problem_and_is_not_flagged(shared_data) -> None:
    """ProcessBench gsm8k: 400 solutions of 375 problems by 12 generators; the old audit flagged 10
    policies on the pooled r alone. Within a policy no problem is attempted twice."""
    from reasonledger.formats.importers.processbench import read_processbench

    result = audit(list(read_processbench(shared_data / "processbench" / "gsm8k.json")))
    assert not result["trap"]
    assert all(g["within_prompts"]["status"] == "not_separable" for g in result["by_policy"].values())
    within = result["overall"]["within_prompts"]  # 23 problems were solved twice, one three times
    assert within["prompts_with_several_attempts"] == 24 and within["informative_prompts"] == 23
    # 12 generators: 23 informative pairs cannot carry 11 policy indicators and length (the fit would separate)
    assert within["conditional_logit"]["fitted"] is False and "5 per covariate" in within["conditional_logit"]["reason"]
    assert headline("length_trap", result).startswith("no flag")


def test_separate_records_with_the_same_prompt_are_one_prompt() -> None:
    records = []
    for i in range(30):
        for length, ok in ((10, True), (40, False)):  # one record per attempt, long ones wrong
            records.append(rollout_set(f"question {i}", [length], [ok]))
    result = audit(records)
    assert result["overall"]["prompts"] == 30 and result["overall"]["within_prompts"]["informative_prompts"] == 30
    assert result["trap"]


def test_the_report_plots_within_prompt_differences_only_when_measured() -> None:
    from reasonledger.quality.report import plots

    rng = np.random.default_rng(4)
    measured = audit([rollout_set(f"q{i}", rng.integers(10, 90, size=4).tolist(), [True, False, True, False])
                      for i in range(20)])
    drawn = plots({"length_trap": measured})["length_trap"]
    assert drawn.count("<polyline") == 3 and ">overall (within r=" in drawn  # overall, by source, by policy
    single = audit([rollout_set(f"q{i}", [10 + i], [i % 2 == 0]) for i in range(20)])
    assert "length_trap" not in plots({"length_trap": single})  # no pooled scatter in its place
