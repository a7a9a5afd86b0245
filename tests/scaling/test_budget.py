"""pass@(k,T): one run at T_max answers every T by truncation; announced budgets need their own runs."""

from __future__ import annotations

import pytest

from reasonledger.scaling.budget import budget_mode, passk_budget_report
from reasonledger.scaling.passk import collect_outcomes
from tests.scaling.records_factory import rollout_set


def _tokens(*counts: int) -> list[dict[str, int]]:
    return [{"tokens": t} for t in counts]


def test_truncation_counts_a_pass_only_within_the_budget() -> None:
    records = [rollout_set("p1", [True, True, False], rollout_meta=_tokens(100, 900, 50), max_tokens=1000),
               rollout_set("p2", [True, False, False], rollout_meta=_tokens(400, 1000, 1000), max_tokens=1000)]
    problems = collect_outcomes(records).problems
    assert budget_mode(problems) == "truncation"
    report = passk_budget_report(problems, budgets=[256, 512, 1000, 2000], ks=[1, 3], n_boot=100)
    table = report["table"]
    assert table["256"]["pass@1"]["value"] == pytest.approx((1 / 3 + 0) / 2)
    assert table["512"]["pass@1"]["value"] == pytest.approx((1 / 3 + 1 / 3) / 2)
    assert table["1000"]["pass@1"]["value"] == pytest.approx((2 / 3 + 1 / 3) / 2)
    assert table["512"]["pass@3"]["value"] == 1.0
    # beyond the run's max_tokens a cut-off rollout might have passed: those budgets are not answerable
    assert table["2000"]["pass@1"]["value"] is None
    assert report["skipped"]["2000"] == {"T=2000 above the run's max_tokens": 2}
    assert "one run at T_max" in report["note"]


def test_announced_budgets_pool_rollouts_of_the_same_problem_per_budget() -> None:
    # the same problem (dataset row 7) asked twice, once announcing 512 tokens, once 2048
    records = [rollout_set("Think in 512 tokens: p", [False, False], row_id="7", meta={"budget": 512}),
               rollout_set("Think in 2048 tokens: p", [True, False], row_id="7", meta={"budget": 2048}),
               rollout_set("Think in 2048 tokens: q", [True, True], row_id="8", meta={"budget": 2048})]
    problems = collect_outcomes(records).problems
    report = passk_budget_report(problems, budgets=[512, 1024, 2048], ks=[1], n_boot=100)
    assert report["mode"] == "announced"
    assert report["table"]["512"]["pass@1"] == {**report["table"]["512"]["pass@1"], "value": 0.0, "problems": 1}
    assert report["table"]["2048"]["pass@1"]["value"] == pytest.approx((0.5 + 1.0) / 2)
    assert report["table"]["1024"]["pass@1"]["value"] is None
    assert report["skipped"]["1024"] == {"no rollouts were run with T=1024 announced": 1}
    assert "each T has its own rollouts" in report["note"]


def test_tokens_from_one_rollout_per_request_usage() -> None:
    """Rollouts made by the `rollouts` step one per request carry that request's completion tokens."""
    meta = [{"request": "r1", "request_usage": [30, 120]}, {"request": "r2", "request_usage": [30, 700]}]
    shared = [{"request": "r1", "request_usage": [30, 820]}, {"request": "r1", "request_usage": [30, 820]}]
    one, two = collect_outcomes([rollout_set("p", [True, True], rollout_meta=meta),
                                 rollout_set("q", [True, True], rollout_meta=shared)]).problems
    assert one.tokens == (120, 700)
    assert two.tokens == (None, None)


def test_no_tokens_and_no_budgets_means_not_applicable() -> None:
    assert passk_budget_report(collect_outcomes([rollout_set("p", [True])]).problems) is None
