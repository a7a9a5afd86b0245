"""Model judges named by data run only with the operator's consent, and never past the operator's
bound on judge calls: a row, a recipe or a recorded verdict cannot spend the operator's endpoint."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from reasonledger import rewards
from reasonledger.cli import app
from reasonledger.construct.verify import GoldCheck, Verify, VerifyParams
from reasonledger.engine.step import StepContext
from reasonledger.quality.contamination import ContaminationConfig, ContaminationScan
from reasonledger.records.model import Kind, Record
from reasonledger.userconfig import UserConfigError
from reasonledger.verifiers.judgment import budget
from reasonledger.verifiers.judgment.judge import JudgeVerifier
from reasonledger.verifiers.judgment.consent import JudgmentNotAllowed
from reasonledger.verifiers.policy import check_operator_limits, verifier_config
from reasonledger.verifiers.pool import VerifierPool

from .conftest import operator_config
from .scripts import scripted

ASKED: list[str] = []


def _counting(prompt: str) -> str:
    ASKED.append(prompt)
    return "Final Decision: CORRECT"


@pytest.fixture
def judge_config():
    ASKED.clear()
    return scripted("consent-counting", _counting, mode="response")


def _row(config, number=0):
    return Record(kind=Kind.prompt_answer, task={
        "prompt": f"What is {number} + 1?", "reference": str(number + 1),
        "source": {"dataset": "consent-test", "row_id": str(number)},
        "verifier": {"name": "judge", "config": config}}, behaviour={"response": f"It is {number + 1}."})


@pytest.mark.parametrize("name", ["judge", "rubric", "pairwise"])
def test_without_the_operators_consent_no_model_judge_can_be_built_from_data(name, judge_config):
    with pytest.raises(JudgmentNotAllowed, match=r"model judge not allowed: add `limits: \{judgment: \{allow: true, "
                                                 r"max_calls: N\}\}` to ~/.config/reasonledger/config.yaml"):
        verifier_config(name, judge_config)
    assert verifier_config("math", {}) == {}  # other verifiers are not affected


def test_a_refused_row_is_quarantined_with_what_to_do_and_no_call_is_made(judge_config):
    ctx = StepContext("s", 0, None, "verify")
    out = list(Verify().process(iter([_row(judge_config)]), ctx))
    assert out == [] and ASKED == []
    (rejected,) = ctx.rejected
    assert rejected.reason == "judge_not_allowed" and "allow: true, max_calls: N" in rejected.detail
    assert ctx.mine.dropped["judge_not_allowed"] == 1
    gold = StepContext("s", 0, None, "gold_check")
    assert list(GoldCheck().process(iter([_row(judge_config)]), gold)) == [] and ASKED == []
    assert gold.rejected[0].reason == "no_verifier" and "model judge not allowed" in gold.rejected[0].detail


def test_a_recipe_naming_a_judge_fails_when_it_loads(judge_config):
    with pytest.raises(ValueError, match="model judge not allowed"):
        VerifyParams(verifier="judge", config=judge_config)


def test_rewards_refuse_a_judge_the_operator_has_not_allowed(judge_config):
    info = {"verifier": "judge", "verifier_config_json": json.dumps(judge_config),
            "reference_json": json.dumps({"answer": "18"})}
    with pytest.raises(JudgmentNotAllowed, match="model judge not allowed"):
        rewards.compute_score("gsm8k", "#### 18", "18", info)
    assert ASKED == []


def test_the_probe_audit_of_records_naming_a_judge_needs_consent_too(judge_config, tmp_path):
    data = tmp_path / "records.jsonl"
    data.write_text(_row(judge_config).model_dump_json() + "\n")
    result = CliRunner().invoke(app, ["audit", f"records:{data}", "--out", str(tmp_path / "audit"),
                                      "--only", "lineage_completeness", "--judge-probes", "--quiet"])
    assert result.exit_code == 1 and "model judge not allowed" in result.output and ASKED == []


def test_a_recipes_decontamination_judge_needs_consent(judge_config):
    with pytest.raises(JudgmentNotAllowed, match="the decontamination judge"):
        ContaminationScan([], ContaminationConfig(judge=judge_config))


def test_consent_names_backends_and_models(tmp_path, monkeypatch, judge_config):
    operator_config(tmp_path, monkeypatch, "limits:\n  judgment: {allow: true, max_calls: 10}\n")
    with pytest.raises(JudgmentNotAllowed, match="judge backend 'scripted' not allowed: add it to "
                                                 "limits.judgment.backends"):
        verifier_config("judge", judge_config)
    operator_config(tmp_path, monkeypatch, "limits:\n  judgment: {allow: true, max_calls: 10, backends: [scripted], "
                                           "models: [gpt-4o]}\n")
    with pytest.raises(JudgmentNotAllowed, match="judge model 'scripted-consent-counting' not allowed"):
        verifier_config("judge", judge_config)
    operator_config(tmp_path, monkeypatch, "limits:\n  judgment: {allow: true, max_calls: 10, backends: [scripted]}\n")
    assert verifier_config("judge", judge_config)["model"] == "scripted-consent-counting"
    (verified,) = Verify().process(iter([_row(judge_config)]), StepContext("s", 0, None, "verify"))
    assert verified.verdicts[0].passed and len(ASKED) == 1


@pytest.mark.parametrize(("section", "problem"), [
    ("{allow: true}", "limits.judgment: Value error, allow: true needs max_calls"),
    ("{allow: true, max_calls: -1}", "limits.judgment.max_calls: Input should be greater than or equal to 0"),
    ("{allow: yes-please, max_calls: 5}", "limits.judgment.allow: Input should be a valid boolean"),
    ("{allow: true, max_calls: 5, backends: [opanai]}", "limits.judgment.backends: no generation backend is called 'opanai'"),
    ("{allow: true, max_calls: 5, budget: 9}", "limits.judgment.budget: Extra inputs are not permitted"),
])
def test_a_bad_judgment_section_is_named(tmp_path, monkeypatch, section, problem):
    operator_config(tmp_path, monkeypatch, f"limits:\n  judgment: {section}\n")
    with pytest.raises(UserConfigError) as raised:
        check_operator_limits()
    assert problem in str(raised.value)


def test_judge_calls_stop_at_the_operators_bound_and_a_batch_past_it_sends_nothing(tmp_path, monkeypatch, judge_config):
    operator_config(tmp_path, monkeypatch, "limits:\n  judgment: {allow: true, max_calls: 5, backends: [scripted]}\n")
    judge = JudgeVerifier(**judge_config)  # the operator's own judge is bounded too
    assert all(v.passed for v in judge.verify_many([("3", f"It is 3 ({k}).") for k in range(3)]))
    assert budget.sent() == 3 and len(ASKED) == 3
    with pytest.raises(budget.JudgeCallLimit, match=r"may send 5 judge requests and has sent 3; the next batch "
                                                    r"needs 3\. Raise limits.judgment.max_calls"):
        judge.verify_many([("3", f"It is 3 [{k}].") for k in range(3)])
    assert budget.sent() == 3 and len(ASKED) == 3  # nothing of the refused batch was sent
    # a request asked twice in one batch is sent, and charged, once
    assert judge.verify_many([("3", "It is 3, twice over.")] * 2)[0].passed and budget.sent() == 4 and len(ASKED) == 4
    judge.close()


def test_answers_from_the_request_cache_cost_no_call(tmp_path, monkeypatch, judge_config):
    from reasonledger.verifiers.judgment.client import CACHE_ENV

    operator_config(tmp_path, monkeypatch, "limits:\n  judgment: {allow: true, max_calls: 2, backends: [scripted]}\n")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "judge-cache"))
    pairs = [("3", "It is 3."), ("4", "It is 4.")]
    for _ in range(3):  # a resumed run re-asks what it was answered: free
        judge = JudgeVerifier(**judge_config)
        assert [v.passed for v in judge.verify_many(pairs)] == [True, True]
        judge.close()
    assert budget.sent() == 2 and len(ASKED) == 2


def test_a_builds_workers_share_the_bound(tmp_path, monkeypatch, judge_config):
    operator_config(tmp_path, monkeypatch, "limits:\n  judgment: {allow: true, max_calls: 5, backends: [scripted]}\n")
    monkeypatch.setenv("REASONLEDGER_WORKERS", "2")
    assert budget.allowance() == 2
    pool = VerifierPool(None, {}, None)
    verifier = pool.for_record(_row(judge_config))
    with pytest.raises(budget.JudgeCallLimit, match=r"its share of 5 over 2 worker processes"):
        pool.check([(verifier, "3", f"It is 3 ({k}).", "answer") for k in range(3)])
    pool.close()
    assert ASKED == []


def test_the_verifier_card_says_data_needs_the_operators_consent(judge_config):
    card = JudgeVerifier(**judge_config).card()
    assert "limits: {judgment: {allow: true, max_calls: N}}" in card["operator_consent"]


def test_a_self_consistency_step_may_not_compare_answers_with_an_unallowed_judge(judge_config):
    from reasonledger.construct.consistency import SelfConsistency

    unlabelled = Record(kind=Kind.rollout_set, task={"prompt": "What is 3 * 4?", "source": {"dataset": "t", "row_id": "0"}},
                        behaviour={"rollouts": [{"response": "12"}, {"response": "12"}]})
    step = SelfConsistency(verifier="judge", config=judge_config)
    with pytest.raises(JudgmentNotAllowed, match="model judge not allowed"):
        list(step.process(iter([unlabelled]), StepContext("s", 0, None, "self_consistency")))
    assert ASKED == []


def test_reaudit_does_not_re_ask_a_recorded_judge_verdict_without_consent(tmp_path, monkeypatch, judge_config):
    from reasonledger.cards.reaudit import _Rerun

    operator_config(tmp_path, monkeypatch, "limits:\n  judgment: {allow: true, max_calls: 10, backends: [scripted]}\n")
    (verified,) = Verify().process(iter([_row(judge_config)]), StepContext("s", 0, None, "verify"))
    monkeypatch.delenv("REASONLEDGER_CONFIG")  # the dataset travels to an operator who has not opened the door
    rerun = _Rerun([])
    rerun.add(verified, "part-00000")
    assert rerun.jobs == [] and len(ASKED) == 1
    assert rerun.counts == {"not re-runnable: model judge not allowed (limits.judgment in your config file)": 1}
