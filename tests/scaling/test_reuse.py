"""Reuse accounting over a log of prompt visits."""

from __future__ import annotations

import pytest

from reasonledger.records.model import Kind, Record
from reasonledger.scaling.reuse import reuse_report
from tests.scaling.records_factory import rollout_set


def _visit(prompt: str, passed: list[bool], step: int) -> Record:
    return rollout_set(prompt, passed, meta={"step": step})


def test_visits_epochs_answers_and_the_active_band_over_time() -> None:
    visits = [_visit("Q1", [True, False], 1), _visit("q1 ", [True, True], 2), _visit("Q2", [False, True], 3),
              _visit("Q1", [False, False], 4), _visit("Q2", [True, True], 5), _visit("Q2", [True, True], 6)]
    pool = [Record(kind=Kind.prompt_answer, task={"prompt": p, "source": {"dataset": "pool"}})
            for p in ("Q1", "Q2", "Q3", "Q4")]
    report = reuse_report(visits, pool, windows=2)
    assert report["visits"] == 6 and report["unique_prompts"] == 2  # "q1 " normalises to "Q1"
    assert report["reuse_rate"] == pytest.approx(1 - 2 / 6)
    assert report["epochs"] == pytest.approx(6 / 4) and report["pool_coverage"] == 0.5
    assert report["visits_per_prompt"]["max"] == 3 and report["answers_per_prompt"]["mean"] == 6
    band = report["active_band"]
    assert band["time"] == "meta.step"
    assert [w["active_share"] for w in band["windows"]] == [pytest.approx(2 / 3), 0.0]
    assert [(w["start"], w["end"]) for w in band["windows"]] == [(1, 3), (4, 6)]


def test_without_steps_the_record_order_is_the_time_and_unjudged_visits_are_counted() -> None:
    judged = rollout_set("a", [True, False])
    unjudged = Record(kind=Kind.prompt_answer, task={"prompt": "b", "source": {"dataset": "x"}})
    report = reuse_report([judged, unjudged], windows=5)
    band = report["active_band"]
    assert band["time"] == "record order" and band["judged_visits"] == 1 and band["unjudged_visits"] == 1
    assert report["epochs"] is None
    assert [w["active_share"] for w in band["windows"]] == [1.0, None]
