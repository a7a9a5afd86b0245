"""The math verifier's optional model fallback for answers rules cannot decide (issue 15)."""

import json

from reasonledger.verifiers.math import MathVerifier

from .scripts import scripted, section

FREE = "More time is required for the round trip on the river."


def _fallback(name, decide):
    asked = []

    def answer(prompt):
        asked.append(prompt)
        return decide(prompt)

    return scripted(name, answer), asked


def test_off_by_default_the_config_hash_is_unchanged_and_no_judge_is_asked():
    plain = MathVerifier()
    assert "fallback" not in plain.config
    assert MathVerifier(fallback=None).config_hash == plain.config_hash
    assert not plain.verify(FREE, r"\boxed{the round trip}").passed


def test_a_free_form_answer_goes_to_the_judge_and_the_verdict_says_so():
    judge, asked = _fallback("math-fallback-yes", lambda p: "Same conclusion.\nFinal Decision: CORRECT")
    math = MathVerifier(fallback=judge)
    assert math.config_hash != MathVerifier().config_hash  # the judge's spec is pinned by the math config hash
    verdict = math.verify({"answer": FREE, "question": "Which takes longer?"}, r"So \boxed{the round trip}")
    assert verdict.passed and verdict.label_source == "judge" and verdict.verifier == "math"
    assert verdict.evidence["method"] == "judge_fallback" and verdict.evidence["rules_method"]
    fallback = verdict.evidence["fallback"]
    assert fallback["model"] == "scripted-math-fallback-yes" and fallback["request"] and fallback["template_sha256"]
    assert "the round trip" in section(asked[0], "Candidate's final answer") and len(asked) == 1


def test_numeric_rejections_never_reach_the_judge_and_rule_passes_stay_programmatic():
    judge, asked = _fallback("math-fallback-always", lambda p: "Final Decision: CORRECT")
    math = MathVerifier(fallback=judge)
    pairs = [("18", r"\boxed{7}"), ("1/2", r"\boxed{0.5}"), ("18", "Thought process:"), (r"\frac{1}{3}", r"\boxed{0.33}")]
    verdicts = math.verify_many(pairs)
    assert [v.passed for v in verdicts] == [False, True, False, False] and asked == []
    assert {v.label_source for v in verdicts} == {"programmatic"}
    assert all(v.config_hash == math.config_hash for v in verdicts)


def test_the_fallback_keeps_gsm8k_labels_and_asks_nothing_there(shared_data):
    judge, asked = _fallback("math-fallback-gsm8k", lambda p: "Final Decision: CORRECT")
    math = MathVerifier(fallback=judge)
    pairs, labels = [], []
    for line in (shared_data / "gsm8k" / "example_model_solutions.jsonl").read_text().splitlines()[:300]:
        row = json.loads(line)
        answer = row["ground_truth"].rsplit("A:", 1)[-1].strip()
        for key in row:
            if isinstance(row[key], dict):
                pairs.append((answer, row[key]["solution"]))
                labels.append(row[key]["is_correct"])
    try:
        verdicts = math.verify_many(pairs)
    finally:
        math.close()
    assert [v.passed for v in verdicts] == labels and asked == []


def test_only_the_operator_can_switch_the_fallback_on(tmp_path, monkeypatch):
    import pytest

    from reasonledger.verifiers.policy import check_step_config, verifier_config

    judge = {"model": "m", "backend": "scripted", "backend_options": {"script": "any"}}
    assert "fallback" not in verifier_config("math", {"fallback": judge, "timeout": 0.5})  # a row's config: ignored
    with pytest.raises(ValueError, match="config.fallback"):
        check_step_config("math", {"fallback": judge})  # a recipe's: refused, saying where it may be set
    settings = tmp_path / "config.yaml"
    settings.write_text(json.dumps({"limits": {"math": {"fallback": judge}}}))
    monkeypatch.setenv("REASONLEDGER_CONFIG", str(settings))
    assert verifier_config("math", {})["fallback"] == judge
