"""Dedup, contamination and length audits read an agent's calls and what it said, not only text fields."""

from reasonledger.quality.text import behaviour_texts
from reasonledger.records.model import Record

TASK = {"prompt": "cancel ABC", "source": {"dataset": "unit"}}
CHAT = [{"role": "user", "content": "cancel ABC"},
        {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "cancel", "arguments": '{"id": "ABC"}'}}]},
        {"role": "tool", "tool_call_id": "c", "content": "done"},
        {"role": "assistant", "content": "Cancelled ABC."}]


def test_calls_in_messages_or_actions_are_behaviour_text():
    only_messages = Record(kind="episode", task=TASK, behaviour={"messages": CHAT})
    assert behaviour_texts(only_messages) == ["Cancelled ABC.", 'cancel {"id": "ABC"}']
    with_actions = Record(kind="episode", task=TASK, behaviour={
        "messages": CHAT, "actions": [{"name": "cancel", "arguments": {"id": "ABC"}, "observation": "done"}]})
    assert behaviour_texts(with_actions) == ["cancel ABC done", "Cancelled ABC."]
