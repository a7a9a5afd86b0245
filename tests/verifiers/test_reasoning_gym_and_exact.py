import json

import pytest
import reasoning_gym
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.construct.sources import _json_safe
from reasonledger.verifiers import available_verifiers, get_verifier


def _reference(task: str, index: int = 0, seed: int = 5) -> dict:
    entry = reasoning_gym.create_dataset(task, size=index + 1, seed=seed)[index]
    return {"dataset": task, "answer": entry["answer"], "metadata": _json_safe(entry["metadata"])}


def test_registry_lists_builtins():
    assert {"exact", "reasoning_gym", "math", "code"} <= set(available_verifiers())
    with pytest.raises(KeyError, match="unknown verifier 'nope'"):
        get_verifier("nope")


@pytest.mark.parametrize("task", ["chain_sum", "knights_knaves", "countdown", "word_sorting", "simple_equations"])
def test_gold_passes_and_junk_fails(task):
    verifier = get_verifier("reasoning_gym")
    reference = _reference(task)
    verdict = verifier.verify(reference, f"I think... <answer>{reference['answer']}</answer>")
    assert verdict.passed and verdict.evidence["rule"] == "answer_tag" and verdict.version == "2.1.0"
    assert not verifier.verify(reference, "<answer>no idea</answer>").passed


def test_game_of_life_halting_guard_rejects_any_non_empty_answer():
    verifier = get_verifier("reasoning_gym")
    reference = _reference("game_of_life_halting")
    wrong = "False" if reference["answer"] == "True" else "True"
    for answer in ("banana", wrong):
        verdict = verifier.verify(reference, f"<answer>{answer}</answer>")
        assert verdict.evidence["scorer_score"] == 1.0  # the bug this guard exists for
        assert not verdict.passed and verdict.evidence["guard"] == "exact_boolean"
    assert verifier.verify(reference, f"<answer>{reference['answer']}</answer>").passed


def test_gsm_symbolic_guard_keeps_the_sign():
    verifier = get_verifier("reasoning_gym")
    reference = _reference("gsm_symbolic")
    verdict = verifier.verify(reference, f"<answer>-{reference['answer']}</answer>")
    assert verdict.evidence["scorer_score"] == 1.0 and not verdict.passed
    assert "sign included" in verdict.evidence["reason"]
    assert not verifier.verify(reference, f"<answer>{reference['answer']} 7</answer>").passed
    assert verifier.verify(reference, f"<answer>{reference['answer']}</answer>").passed


def test_spell_backward_guard():
    verifier = get_verifier("reasoning_gym")
    # A 9-letter word: the scorer's per-letter credit sums to 1.0000000000000002, so the word with
    # extra text after it gets full credit (shorter words get 0.8, which the threshold rejects anyway).
    reference = _reference("spell_backward", index=6)
    assert len(reference["answer"]) == 9
    for answer in (f"{reference['answer']} extra", reference["answer"].upper()):
        verdict = verifier.verify(reference, f"<answer>{answer}</answer>")
        assert verdict.evidence["scorer_score"] >= 1.0  # the bug this guard exists for
        assert not verdict.passed and verdict.evidence["guard"] == "exact_string"
    assert verifier.verify(reference, f"<answer>{reference['answer']}</answer>").passed


def test_fraction_simplification_guard_rejects_trailing_tokens():
    verifier = get_verifier("reasoning_gym")
    reference = _reference("fraction_simplification")
    verdict = verifier.verify(reference, f"<answer>{reference['answer']} extra</answer>")
    assert verdict.evidence["scorer_score"] == 1.0  # the bug this guard exists for
    assert not verdict.passed and verdict.evidence["guard"] == "no_trailing_tokens"
    assert verifier.verify(reference, f"<answer>{reference['answer']}</answer>").passed


def test_a_missing_gold_fails_with_a_reason():
    verdict = get_verifier("reasoning_gym").verify(_reference("propositional_logic"), "<answer>P</answer>")
    assert not verdict.passed and verdict.evidence["reason"]


def test_exact_match_normalisation_and_choices():
    exact = get_verifier("exact")
    assert exact.verify("Paris", "  paris. ").passed
    assert exact.verify(["4", "four"], "<answer>Four</answer>").passed
    assert not exact.verify("4", "").passed
    assert get_verifier("exact", choice=True).verify("(B)", "B) because 42").passed
    assert not get_verifier("exact", case_sensitive=True).verify("Paris", "paris").passed
    assert get_verifier("exact", case_sensitive=True).config_hash != exact.config_hash


def test_check_command_prints_the_verdict_and_exits_by_it(tmp_path):
    runner = CliRunner()
    passed = runner.invoke(app, ["check", "exact", "--reference", "42", "--response", "<answer>42</answer>"])
    assert passed.exit_code == 0 and json.loads(passed.stdout)["passed"] is True
    reference = tmp_path / "ref.json"
    reference.write_text(json.dumps(_reference("gsm_symbolic")))
    failed = runner.invoke(app, ["check", "reasoning_gym", "--reference", str(reference), "--response", "<answer>-1</answer>"])
    assert failed.exit_code == 2 and json.loads(failed.stdout)["passed"] is False


def test_check_and_verify_name_a_bad_reference_file_or_config(tmp_path):
    runner = CliRunner()
    reference = tmp_path / "ref.json"
    reference.write_text('{"format": "call",\n  "cases": [\n')
    bad = runner.invoke(app, ["check", "exact", "--reference", str(reference), "--response", "4"])
    assert bad.exit_code == 1 and f"{reference}:3: not valid JSON" in bad.output
    bad = runner.invoke(app, ["check", "exact", "--reference", "4", "--response", "4", "--config", "{x"])
    assert bad.exit_code == 1 and "--config: not valid JSON" in bad.output
    bad = runner.invoke(app, ["verify", str(tmp_path), "--out", str(tmp_path / "out"), "--config", "[1]"])
    assert bad.exit_code == 1 and "--config: expected a JSON object" in bad.output


def test_a_bare_gold_answer_with_the_task_in_the_config():
    reference = _reference("chain_sum")
    verifier = get_verifier("reasoning_gym", dataset="chain_sum")
    assert verifier.verify(reference["answer"], f"<answer>{reference['answer']}</answer>").passed
    assert not verifier.verify(reference["answer"], "<answer>no idea</answer>").passed
    with pytest.raises(ValueError, match="needs `dataset`"):
        get_verifier("reasoning_gym").verify(reference["answer"], "<answer>1</answer>")


def test_verl_reward_without_extra_info_infers_the_verifier_from_the_source():
    from reasonledger.rewards import compute_score

    assert compute_score("reasoning-gym/chain_sum", "<answer>42</answer>", "42") == 1.0
    assert compute_score("reasoning-gym/chain_sum", "<answer>41</answer>", "42") == 0.0
    assert compute_score("openai/gsm8k", "so the total is #### 42", "42") == 1.0
    assert compute_score("elsewhere", "<answer>Paris</answer>", "paris") == 1.0


def test_score_many_gives_the_scores_of_judge_many_and_of_verify():
    verifier = get_verifier("reasoning_gym")
    countdown, chain = _reference("countdown"), _reference("chain_sum")
    pairs = [(countdown, f"<answer>{countdown['answer']}</answer>"), (countdown, f"So the answer is {countdown['answer']}."),
             (countdown, "1 + 2"), (countdown, "I don't know."), (chain, f"\\boxed{{{chain['answer']}}}"), (chain, "7"),
             (chain, "")]
    scores = verifier.score_many(pairs)
    assert scores == [score for _, score, _ in verifier.judge_many(pairs)] == [verifier.verify(*p).score for p in pairs]
    assert scores[0] == scores[1] == scores[4] == 1.0 and scores[3] == 0.0 and 0 < scores[2] < 1
