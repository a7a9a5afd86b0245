"""The environmental verifier on a tiny counter environment: outcomes, per-component and per-step
verdicts, strict and lenient replay, and revisions that cannot be rebuilt."""

from __future__ import annotations

import json

import pytest

from reasonledger.records.model import Record
from reasonledger.verifiers import get_verifier
from tests.verifiers.environments import counter


@pytest.fixture(autouse=True)
def _counter_environment():
    counter.register()


def episode(spec, messages, termination="agent_stop") -> Record:
    return Record(kind="episode", task={"prompt": "add", "reference": spec, "source": {"dataset": "test"},
                                        "verifier": {"name": "environment"}},
                  behaviour={"messages": messages, "termination": termination})


def judge(record, **config):
    verdicts = get_verifier("environment", **config).verify_record(record)
    return {v.target: v for v in verdicts}


def test_a_right_episode_succeeds_with_one_verdict_per_component():
    verdicts = judge(episode(counter.spec(outputs=["2"]), counter.conversation(("add", {"n": 2}, "2"), said="now 2")))
    assert set(verdicts) == {"state", "outputs", "episode"}
    assert verdicts["state"].passed and verdicts["outputs"].passed
    assert all(v.label_source == "environment" for v in verdicts.values())
    ep = verdicts["episode"]
    assert ep.passed and ep.evidence["outcome"] == "success" and ep.evidence["first_divergence"] is None
    assert ep.evidence["reward"] == 1.0


def test_wrong_state_and_missing_output_are_told_apart():
    wrong = judge(episode(counter.spec(), counter.conversation(("add", {"n": 3}, "3"))))
    assert wrong["episode"].evidence["outcome"] == "wrong_state" and not wrong["state"].passed
    silent = judge(episode(counter.spec(outputs=["2"]), counter.conversation(("add", {"n": 2}, "2"), said="ok")))
    assert silent["episode"].evidence["outcome"] == "missing_output"
    assert silent["state"].passed and not silent["outputs"].passed


def test_a_failed_call_is_a_step_verdict_and_a_policy_refusal_is_its_own_outcome():
    messages = counter.conversation(("add", {"n": -1}, "Error: negative"), ("add", {"n": 2}, "2"),
                                    ("reset_all", {}, "Error: not allowed"))
    verdicts = judge(episode(counter.spec(), messages))
    assert not verdicts["step:0"].passed and verdicts["step:0"].evidence["error_kind"] == "tool_error"
    assert verdicts["step:2"].evidence["error_kind"] == "policy"
    assert "step:1" not in verdicts
    assert verdicts["episode"].evidence["outcome"] == "policy_violation"


def test_truncated_runs_are_labelled_by_their_final_state():
    right = judge(episode(counter.spec(), counter.conversation(("add", {"n": 2}, "2")), termination="max_steps"))
    assert right["episode"].evidence["outcome"] == "truncated_state_correct" and not right["episode"].passed
    assert right["episode"].evidence["reward"] == 1.0  # what the components say, apart from the cut
    wrong = judge(episode(counter.spec(), counter.conversation(("add", {"n": 1}, "1")), termination="max_steps"))
    assert wrong["episode"].evidence["outcome"] == "truncated"


def test_strict_replay_records_the_first_divergence_and_does_not_trust_the_score():
    messages = counter.conversation(("read", {}, "0"), ("add", {"n": 2}, "2.0"), ("read", {}, "7"))
    verdicts = judge(episode(counter.spec(), messages))
    assert verdicts["episode"].evidence["first_divergence"] == 1
    assert verdicts["episode"].evidence["divergences"] == [1, 2]
    assert verdicts["episode"].evidence["outcome"] == "env_error"


def test_lenient_replay_needs_a_reason_and_records_it():
    with pytest.raises(ValueError, match="lenient_reason"):
        get_verifier("environment", observations="lenient")
    messages = counter.conversation(("add", {"n": 2}, " 2 "))
    verdicts = judge(episode(counter.spec(), messages), observations="lenient", lenient_reason="harness padded text")
    ep = verdicts["episode"].evidence
    assert ep["outcome"] == "success" and ep["first_divergence"] is None
    assert ep["lenient_reason"] == "harness padded text" and ep["observations"] == "lenient"


def test_another_revision_is_a_mismatch_never_a_rescore():
    record = episode(counter.spec(), counter.conversation(("add", {"n": 2}, "2")))
    verdicts = judge(record, revision="r2")
    assert set(verdicts) == {"episode"}
    assert verdicts["episode"].evidence["outcome"] == "env_revision_mismatch"
    assert judge(record, revision="r9")["episode"].evidence["outcome"] == "env_revision_mismatch"
    pinned_elsewhere = episode(counter.spec(revision="r3"), counter.conversation(("add", {"n": 2}, "2")))
    assert judge(pinned_elsewhere)["episode"].evidence["outcome"] == "env_revision_mismatch"


def test_an_initial_state_that_does_not_hash_as_pinned_is_a_mismatch():
    record = episode(counter.spec(initial="0" * 32), counter.conversation(("add", {"n": 2}, "2")))
    assert judge(record)["episode"].evidence["outcome"] == "env_revision_mismatch"


def test_what_cannot_be_replayed_is_an_env_error_with_its_reason():
    unknown = episode({**counter.spec(), "env": "no_such_env"}, counter.conversation(("add", {"n": 2}, "2")))
    assert judge(unknown)["episode"].evidence["outcome"] == "env_error"
    not_a_spec = Record(kind="episode", task={"prompt": "p", "reference": "42", "source": {"dataset": "t"}},
                        behaviour={"messages": counter.conversation()})
    ep = judge(not_a_spec)["episode"]
    assert ep.evidence["outcome"] == "env_error" and "environment spec" in ep.evidence["reason"]


def test_verify_takes_an_episode_as_json_text():
    verifier = get_verifier("environment")
    right = json.dumps({"messages": counter.conversation(("add", {"n": 2}, "2")), "termination": "agent_stop"})
    assert verifier.verify(counter.spec(), right).passed
    assert not verifier.verify(counter.spec(), json.dumps(counter.conversation(("add", {"n": 5}, "5")))).passed
    assert verifier.verify(counter.spec(), "not json").evidence["outcome"] == "env_error"


def test_arguments_that_are_not_json_reach_no_tool():
    messages = counter.conversation(("add", {"n": 2}, "2"))
    messages[1]["tool_calls"][0]["function"]["arguments"] = "__import__('os').system('true')"
    messages[2]["content"] = "whatever"
    verdicts = judge(episode(counter.spec(), messages))
    assert verdicts["step:0"].evidence["error_kind"] == "bad_arguments"


def test_the_card_says_what_is_checked_and_reads_the_measured_calibration():
    from reasonledger.cards.verifier_cards import verifier_card

    card = verifier_card("environment")
    assert card["available"] and card["family"] == "environmental"
    assert "env_revision_mismatch" in card["native_signal"] and card["known_false_negatives"]
    runs = card["calibration"]
    assert isinstance(runs, list) and runs[0]["gold_hashes_reproduced"] == "182/182"


def test_every_verifier_can_be_driven_record_wise():
    record = Record(kind="rollout_set", task={"prompt": "2+2?", "reference": "4", "source": {"dataset": "t"}},
                    behaviour={"rollouts": [{"response": "<answer>4</answer>"}, {"response": "<answer>5</answer>"}]})
    verdicts = get_verifier("exact").verify_record(record)
    assert [(v.target, v.passed) for v in verdicts] == [("rollout:0", True), ("rollout:1", False)]


def test_the_episode_says_which_calls_changed_the_state():
    messages = counter.conversation(("read", {}, "0"), ("add", {"n": 2}, "2"), ("add", {"n": -1}, "Error: negative"))
    evidence = judge(episode(counter.spec(), messages))["episode"].evidence
    assert evidence["changed_state_at"] == [1] and evidence["steps"] == 3 and evidence["failed_steps"] == 1


def test_a_reward_basis_naming_what_the_environment_does_not_judge_is_an_env_error():
    # without this rule the reward over an empty set of judged components would be 1 for any episode
    verdicts = judge(episode(counter.spec(basis=("state", "fail_to_pass")), counter.conversation(("add", {"n": 5}, "5"))))
    ep = verdicts["episode"]
    assert not ep.passed and ep.evidence["outcome"] == "env_error"
    assert "fail_to_pass" in ep.evidence["reason"] and "state" not in verdicts
