"""Rubric scoring against hand-computed scores, with pitfalls (negative weights) and hard gates."""

import re

import pytest
from pydantic import ValidationError

from reasonledger.verifiers.judgment.rubric import RubricVerifier

from .scripts import scripted, section

RUBRIC = {
    "question": "Explain why the sky is blue.",
    "provenance": "human",
    "items": [
        {"id": "a1", "title": "a1", "description": "Names Rayleigh scattering.", "weight": 5, "category": "accuracy",
         "gate": True},
        {"id": "a2", "title": "a2", "description": "Says shorter wavelengths scatter more.", "weight": 3,
         "category": "completeness"},
        {"id": "a3", "title": "a3", "description": "Mentions the sun's spectrum.", "weight": 2, "category": "completeness"},
        {"id": "p1", "title": "p1", "description": "Claims the sky reflects the ocean.", "weight": -4,
         "category": "accuracy"},
        {"id": "p2", "title": "p2", "description": "Gives dangerous advice.", "weight": -2, "category": "safety",
         "gate": True},
    ],
}
# hand-computed: positive weights sum to 10; met items' weights summed, / 10, clipped to [0, 1]; a failed gate is 0
CASES = [
    ("[a1] [a2] [a3]", 1.0, []),
    ("[a1] [a2]", 0.8, []),
    ("[a1] [a2] [p1]", 0.4, []),
    ("[a1] [p1]", 0.1, []),
    ("[a1] [a2] [a3] [p1]", 0.6, []),
    ("[a2] [a3]", 0.0, ["a1"]),           # the gate item is not met
    ("[a1] [a2] [a3] [p2]", 0.0, ["p2"]),  # a pitfall gate is hit
]


def _marker_judge(name="rubric-markers", **config):
    """MET when the response carries the criterion's marker `[id]`."""
    def decide(prompt):
        title = re.search(r"^# Criterion: (.*)$", prompt, re.MULTILINE).group(1)
        return "Checked.\nFinal Decision: " + ("MET" if f"[{title}]" in section(prompt, "Response") else "NOT_MET")

    return RubricVerifier(**scripted(name, decide, **config))


def test_explicit_scores_match_the_hand_computed_ones_with_one_verdict_per_item():
    judge = _marker_judge()
    results = judge.verdicts_many([(RUBRIC, response) for response, _, _ in CASES])
    for (response, score, gates), verdicts in zip(CASES, results):
        *items, total = verdicts
        assert total.score == pytest.approx(score), response
        assert total.evidence["failed_gates"] == gates
        assert total.passed == (score >= 0.5) and total.target == "answer"
        assert [v.target for v in items] == [f"rubric:{i['id']}" for i in RUBRIC["items"]]
        for item, verdict in zip(RUBRIC["items"], items):
            met = f"[{item['id']}]" in response
            assert verdict.evidence["met"] is met
            assert verdict.passed is (met if item["weight"] > 0 else not met)  # a pitfall avoided is in favour
            assert verdict.label_source == "judge" and verdict.evidence["request"]
        assert total.evidence["provenance"] == "human"
    assert judge.client.calls == len(CASES) * len(RUBRIC["items"])


def test_a_pitfall_heavier_than_the_positives_clips_to_zero():
    rubric = {"provenance": "model", "items": [{"id": "b", "title": "b", "weight": 1},
                                               {"id": "x", "title": "x", "weight": -5}]}
    verdict = _marker_judge("rubric-markers-2").verify(rubric, "[b] [x]")
    assert verdict.score == 0.0 and not verdict.passed


def test_an_unparsed_item_makes_the_whole_score_a_parse_failure():
    judge = RubricVerifier(**scripted("rubric-sloppy", lambda prompt: "MET" if "[a2]" in prompt else "Final Decision: MET"))
    verdicts = judge.verdicts_many([(RUBRIC, "[a1] [a2]")])[0]
    assert verdicts[1].evidence["reason"] == "parse_failure" and not verdicts[1].passed
    assert verdicts[-1].evidence["reason"] == "parse_failure" and verdicts[-1].score == 0.0


def test_implicit_aggregation_is_one_call_with_every_item():
    seen = []

    def score(prompt):
        seen.append(prompt)
        return "Mostly right.\nScore: 7"

    judge = RubricVerifier(**scripted("rubric-implicit", score, aggregation="implicit"))
    verdict = judge.verify(RUBRIC, "[a1] [a2]")
    assert judge.client.calls == 1 and all(f"[{i['id']}]" in seen[0] for i in RUBRIC["items"])
    assert verdict.score == pytest.approx(6 / 9) and verdict.passed and verdict.evidence["judge_score"] == 7


def test_an_empty_response_costs_no_call_and_bad_rubrics_are_refused():
    judge = _marker_judge("rubric-markers-3")
    assert judge.verify(RUBRIC, "  ").evidence["reason"] == "no_answer" and judge.client.calls == 0
    for bad in ({**RUBRIC, "provenance": "crowd"}, {**RUBRIC, "items": [{"id": "p", "title": "p", "weight": -1}]},
                {**RUBRIC, "items": [{"id": "z", "title": "z", "weight": 0}]}):
        with pytest.raises(ValidationError):
            judge.verify(bad, "[a1]")
