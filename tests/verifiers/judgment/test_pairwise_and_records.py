"""Pairwise both-order logic, LLMBar-style synthesis, the judge's labels, and judgment records."""

import pytest
from pydantic import ValidationError

from reasonledger.records.model import Kind, Source
from reasonledger.verifiers.judgment.judge import JudgeVerifier
from reasonledger.verifiers.judgment.pairwise import PairwiseVerifier
from reasonledger.verifiers.judgment.records import judgment_record
from reasonledger.verifiers.judgment.templates import load_template

from .scripts import scripted, section

GOOD, BAD = "Paris is the capital of France.", "Lyon."


def _prefers_paris(prompt):
    return "Final Decision: Output " + ("(a)" if "Paris" in section(prompt, "Output (a)") else "(b)")


def test_a_consistent_judge_names_a_winner_and_the_verdict_carries_both_orders():
    judge = PairwiseVerifier(**scripted("prefers-paris", _prefers_paris))
    (result,) = judge.compare_many([("Capital of France?", BAD, GOOD)])
    assert result.winner == "2" and result.orders == {"ab": "2", "ba": "2"} and judge.client.calls == 2
    win = judge.verify({"input": "Capital of France?", "baseline": BAD}, GOOD)
    loss = judge.verify({"input": "Capital of France?", "baseline": GOOD}, BAD)
    assert (win.passed, win.evidence["outcome"], loss.passed, loss.evidence["outcome"]) == (True, "win", False, "loss")
    assert len(win.evidence["request"]) == 2 and win.label_source == "judge"
    record = judgment_record(judge, "Capital of France?", {"baseline": BAD}, {"response": GOOD}, [win],
                             Source(dataset="unit", row_id="0"))
    assert record.kind == Kind.judgment and record.behaviour.judgment["label"] == "win"
    assert record.lineage.events[0].model == "scripted-prefers-paris" and record.task.verifier.config == judge.config


def test_synthesis_runs_only_when_the_orders_disagree_and_decides_with_both_explanations():
    seen = []

    def judge_script(prompt):
        if "# Debate between" in prompt:
            seen.append(prompt)
            return "Output (a)" if "Paris" in section(prompt, "Output (a):") else "Output (b)"
        return "Whatever. Therefore, Output (a) is better."  # positional: always the first shown

    judge = PairwiseVerifier(**scripted("positional-cot", judge_script, template="llmbar_cot",
                                        synthesize_template="llmbar_swap", synthesize_max_tokens=50))
    (result,) = judge.compare_many([("Capital of France?", BAD, GOOD)])
    assert len(result.rounds) == 2 and len(seen) == 2 and judge.client.calls == 4
    assert result.winner == "2"
    assert all("Assistant (a), who thinks Output (a) is better:\nWhatever. Therefore, Output (a) is better." in p
               for p in seen)


@pytest.mark.parametrize("field, template", [("template_sha256", "llmbar_cot"), ("synthesize_sha256", "llmbar_swap")])
def test_a_config_pinning_another_prompt_is_refused_and_an_unpinned_one_is_pinned(field, template):
    config = scripted("prefers-paris", _prefers_paris, template="llmbar_cot", synthesize_template="llmbar_swap")
    assert PairwiseVerifier(**config).config[field] == load_template(template).sha256
    with pytest.raises(ValidationError, match=rf"{field}: the config pins '{template}' at 0000, the shipped template "
                                              rf"is {load_template(template).sha256}; the prompt changed"):
        PairwiseVerifier(**config, **{field: "0000"})


def test_the_judge_labels_invalid_and_unparsable_outputs_as_failures_and_takes_a_strict_majority():
    outputs = iter(["Final Decision: INVALID", "I think it is right", "Final Decision: CORRECT"])
    judge = JudgeVerifier(**scripted("sequence", lambda prompt: next(outputs)))
    reasons = [judge.verify("18", "#### 18").evidence.get("reason") for _ in range(3)]
    assert reasons == ["invalid", "parse_failure", None]
    votes = iter(["Final Decision: CORRECT", "Final Decision: INCORRECT", "nonsense"] * 2)
    majority = JudgeVerifier(**scripted("votes", lambda prompt: next(votes), decoding={"n": 3, "temperature": 0.7}))
    verdict = majority.verify("18", "#### 18")
    assert not verdict.passed and verdict.evidence["reason"] == "parse_failure" and len(verdict.evidence["judge_output"]) == 3


def test_with_the_operators_cache_a_second_judge_asks_the_model_nothing(tmp_path, monkeypatch):
    from reasonledger.verifiers.judgment.client import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "judge-cache"))
    asked = []
    config = scripted("counted", lambda prompt: asked.append(prompt) or "Final Decision: CORRECT")
    first = JudgeVerifier(**config).verify_many([("18", "#### 18"), ("7", "The answer is 7.")])
    again = JudgeVerifier(**config)
    second = again.verify_many([("18", "#### 18"), ("7", "The answer is 7.")])
    assert len(asked) == 2 and [v.passed for v in second] == [v.passed for v in first] == [True, True]
    assert [v.evidence["cached"] for v in second] == [True, True] and again.client.cost()["cached"] == 2
    assert [v.evidence["request"] for v in second] == [v.evidence["request"] for v in first]
    assert (tmp_path / "judge-cache" / "caches" / "requests.sqlite").is_file()
