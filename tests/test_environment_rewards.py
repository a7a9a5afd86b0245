"""The environment reward: a trainer's completion (TRL messages, verl's decoded Hermes-tagged text)
has its tool calls replayed against the row's environment spec by the environment verifier."""

from __future__ import annotations

import json

import pytest

import reasonledger.rewards as rewards
from reasonledger.formats.completions import episode_response, hermes_messages
from reasonledger.formats.importers import import_file
from reasonledger.records.model import canonical_json


def test_hermes_text_becomes_calls_and_their_replies():
    text = ('Let me look.<tool_call>{"name": "get", "arguments": {"id": "A"}}</tool_call>'
            '<tool_response>{"id": "A"}</tool_response>Now cancel.<tool_call>{"name": "cancel", oops}</tool_call>'
            '<|im_end|>')
    first, reply, second = hermes_messages(text)
    assert first == {"role": "assistant", "content": "Let me look.", "tool_calls": [
        {"id": "call_0", "type": "function", "function": {"name": "get", "arguments": {"id": "A"}}}]}
    assert reply == {"role": "tool", "content": '{"id": "A"}', "tool_call_id": "call_0"}
    # a call that is not JSON reaches the environment as a call to no tool, its text kept
    assert second["tool_calls"][0]["function"] == {"name": "", "arguments": '{"name": "cancel", oops}'}
    assert json.loads(episode_response("plain answer")) == {"messages": [{"role": "assistant", "content": "plain answer"}]}
    assert episode_response('[{"role": "assistant", "content": "x"}]') == '[{"role": "assistant", "content": "x"}]'


@pytest.fixture
def tau(shared_data):
    return list(import_file(shared_data / "taubench/historical/gpt-4o-airline.json", "tau-bench", revision="7362a17"))


def _hermes(messages):
    """A conversation as a Hermes-template model writes it (the tool replies as the harness fed them)."""
    parts = []
    for m in messages:
        if m.role == "assistant":
            parts.append(m.content + "".join(
                f'<tool_call>{json.dumps({"name": c.function.name, "arguments": json.loads(c.function.arguments)})}'
                "</tool_call>" for c in m.tool_calls or []))
        elif m.role == "tool":
            parts.append(f"<tool_response>{m.content}</tool_response>")
    return "".join(parts)


def test_verl_and_trl_rewards_replay_a_recorded_episode(tau, shared_data, monkeypatch):
    monkeypatch.setenv("REASONLEDGER_DATA_ROOT", str(shared_data))
    good = next(r for r in tau if r.verdicts[0].passed and r.behaviour.termination == "user_stop")
    bad = next(r for r in tau if not r.verdicts[0].passed and r.behaviour.termination == "user_stop")
    scores = []
    for record in (good, bad):
        info = {"verifier": "environment", "verifier_config_json": "{}",
                "reference_json": canonical_json(record.task.reference)}
        text = _hermes(record.behaviour.messages[len(record.task.prompt):]) + "<|im_end|>"
        scores.append(rewards.compute_score("sierra-research/tau-bench", text, "", extra_info=info))
    assert scores == [1.0, 0.0]
    infos = [{"verifier": "environment", "verifier_config_json": "{}", "reference_json": canonical_json(r.task.reference)}
             for r in (good, bad)]
    texts = [_hermes(r.behaviour.messages[len(r.task.prompt):]) for r in (good, bad)]
    assert rewards.compute_score_batch(["tau"] * 2, texts, ["", ""], infos) == [1.0, 0.0]
    detail = rewards.compute_score("x", texts[0], "", extra_info=infos[0], return_dict=True)
    assert detail["score"] == 1.0 and detail["acc"] is True and detail["verifier"].startswith("environment@")
    (reward,) = rewards.trl_reward_funcs()
    completions = [[m.model_dump() for m in r.behaviour.messages[len(r.task.prompt):]] for r in (good, bad)]
    assert reward(prompts=[None, None], completions=completions,
                  reference=[canonical_json(r.task.reference) for r in (good, bad)],
                  verifier=["environment"] * 2, verifier_config=["{}"] * 2) == [1.0, 0.0]


def test_proposed_calls_nobody_answered_are_applied(tau, shared_data, monkeypatch):
    monkeypatch.setenv("REASONLEDGER_DATA_ROOT", str(shared_data))
    record = next(r for r in tau if r.task.reference["gold_actions"] and not r.task.reference["required_outputs"])
    gold = "".join(f'<tool_call>{json.dumps({"name": a["name"], "arguments": a["arguments"]})}</tool_call>'
                   for a in record.task.reference["gold_actions"])
    info = {"verifier": "environment", "verifier_config_json": "{}",
            "reference_json": canonical_json(record.task.reference)}
    assert rewards.compute_score("tau", gold, "", extra_info=info) == 1.0
    assert rewards.compute_score("tau", "I booked it for you.", "", extra_info=info) == 0.0  # said, not done
