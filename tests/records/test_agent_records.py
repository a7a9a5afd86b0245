"""Agent data in records (schema 3): messages with tool calls, normalised actions, the environment
spec, their typed columns; records written before schema 3 read unchanged and keep their ids."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from reasonledger.records.agent import (
    EnvironmentSpec,
    actions_from_messages,
    agent_said,
    environment_spec,
    hash_observation,
)
from reasonledger.records.arrow import RECORD_SCHEMA, record_to_row
from reasonledger.records.model import Action, Record
from reasonledger.records.parquet import read_parquet_records, write_parquet_shards
from tests.records.test_model import ONE_OF_EACH

SOURCE = {"dataset": "unit"}

# The ids these records had under schema 2 (computed by the schema-2 code): content is unchanged.
SCHEMA_2_IDS = {
    "prompt_answer": "60d350998ba2b9bb0b0f7b9936663e2c", "trace": "ad9a515a871f317f625a9cb0f831eaab",
    "step_trace": "4858657c41a1fe9d20710ffdf686d5d2", "rollout_set": "b0730b8b8c2378586611a2fb3a5267a4",
    "preference_pair": "cab49134b1449c064cd6a1daf67b592d", "tool_trajectory": "c9a1fa87ddf3adcbd7251cd29e23f2bb",
    "episode": "bd0c679088bc0c0c5d774452588f1079", "judgment": "cb44ba6dffee9a8a5123fe29ef05180d",
}

# A tool trajectory exactly as schema 2 wrote it to JSONL (every field, nulls included).
SCHEMA_2_LINE = {
    "id": "c9a1fa87ddf3adcbd7251cd29e23f2bb", "kind": "tool_trajectory", "schema_version": 2,
    "task": {"prompt": "ls", "reference": None, "domain": None,
             "source": {"dataset": "unit", "revision": None, "row_id": None, "license": "MIT", "split": None},
             "verifier": None},
    "behaviour": {"response": None, "trace": None, "answer": None, "steps": None, "rollouts": None, "chosen": None,
                  "rejected": None, "judgment": None, "actions": [
                      {"action": {"tool": "sh", "args": ["ls"]}, "observation": "a b", "state_diff": None, "ok": True},
                      {"action": {"tool": "sh"}, "observation": "error", "state_diff": None, "ok": False}]},
    "verdicts": [], "lineage": {"parents": [], "events": []}, "meta": {},
}

CHAT = [
    {"role": "system", "content": "be helpful"},
    {"role": "user", "content": "cancel ABC"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "get", "arguments": '{"id": "ABC"}'}},
        {"id": "c2", "type": "function", "function": {"name": "cancel", "arguments": "{id: ABC"}}]},
    {"role": "tool", "tool_call_id": "c2", "name": "cancel", "content": "Error: bad id"},
    {"role": "tool", "tool_call_id": "c1", "name": "get", "content": '{"id": "ABC"}'},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "c3", "type": "function", "function": {"name": "cancel", "arguments": {"id": "ABC"}}}]},
    {"role": "assistant", "content": "Cancelled."},
]


def _errors(observation):
    return "tool_error" if isinstance(observation, str) and observation.startswith("Error:") else None


def test_records_from_before_schema_3_keep_their_ids():
    assert {r.kind.value: r.id for r in ONE_OF_EACH} == SCHEMA_2_IDS
    old = Record.model_validate(SCHEMA_2_LINE)  # the id is checked against the content hash on the way in
    assert old.id == SCHEMA_2_LINE["id"] and old.behaviour.actions[0].provenance == "recorded"
    assert Record.model_validate(json.loads(old.model_dump_json())).id == old.id  # and again once rewritten


def test_a_tool_calling_conversation_is_an_episode():
    record = Record(kind="episode", task={"prompt": CHAT[:2], "source": SOURCE, "reference": {"env": "toy"}},
                    behaviour={"messages": CHAT, "termination": "agent_stop"})
    assert record.behaviour.messages[2].content == ""  # null content reads as empty
    assert json.loads(record.behaviour.messages[5].tool_calls[0].function.arguments) == {"id": "ABC"}
    with pytest.raises(ValidationError, match="needs behaviour.actions or behaviour.messages"):
        Record(kind="episode", task={"prompt": "p", "source": SOURCE})
    with pytest.raises(ValidationError, match="termination"):
        Record(kind="episode", task={"prompt": "p", "source": SOURCE}, behaviour={"messages": CHAT, "termination": "bored"})


def test_actions_are_paired_with_their_replies_by_id():
    first, second, third = actions_from_messages(CHAT, classify=_errors)
    assert (first.id, first.name, first.arguments, first.observation, first.ok) == ("c1", "get", {"id": "ABC"}, '{"id": "ABC"}', True)
    assert first.observation_hash == hash_observation('{"id": "ABC"}')
    # arguments that are not JSON stay raw; the recorded failure is classified
    assert second.arguments is None and second.action == {"arguments": "{id: ABC"}
    assert (second.ok, second.error_kind, second.observation) == (False, "tool_error", "Error: bad id")
    assert third.observation is None and third.observation_hash is None  # nobody answered it
    assert agent_said(CHAT) == ["Cancelled."]
    with pytest.raises(ValueError, match=r"messages.1 is a tool reply \(tool_call_id 'zz'\) to no open"):
        actions_from_messages([CHAT[0], {"role": "tool", "tool_call_id": "zz", "content": "x"}])


def test_replies_without_ids_answer_the_oldest_open_call_of_their_name():
    chat = [{"role": "assistant", "tool_calls": [{"function": {"name": "a"}}, {"function": {"name": "b"}}]},
            {"role": "tool", "name": "b", "content": "B"}, {"role": "tool", "content": "A"}]
    assert [(a.name, a.observation) for a in actions_from_messages(chat)] == [("a", "A"), ("b", "B")]


def test_action_rules():
    with pytest.raises(ValidationError, match="cannot be ok"):
        Action(name="t", error_kind="policy")
    with pytest.raises(ValidationError, match="needs the tool's `name`"):
        Action(observation="x")
    with pytest.raises(ValidationError, match="observation_hash does not match"):
        Action(name="t", observation="x", observation_hash=hash_observation("y"))
    Action(name="t", observation_hash=hash_observation("y"))  # a hash alone (observation dropped) is fine
    task = {"prompt": "p", "source": SOURCE}
    recorded = Record(kind="tool_trajectory", task=task, behaviour={"actions": [{"name": "t"}]})
    synthetic = Record(kind="tool_trajectory", task=task, behaviour={"actions": [{"name": "t", "provenance": "synthetic"}]})
    assert recorded.id != synthetic.id  # a made-up turn is other content than a recorded one


def test_environment_spec():
    spec = EnvironmentSpec(env="tau_airline", revision="7362a17", task_id="3", gold_actions=[{"name": "get"}],
                           reward_basis=["state", "outputs"], limits={"max_steps": 30})
    record = Record(kind="episode", task={"prompt": "p", "source": SOURCE, "reference": spec.as_reference(),
                                          "verifier": {"name": "environment"}}, behaviour={"messages": CHAT})
    assert environment_spec(record.task) == spec
    with pytest.raises(ValueError, match="not an environment spec"):
        environment_spec(record.task.model_copy(update={"reference": "42"}))
    with pytest.raises(ValueError, match="reward_basis"):
        environment_spec(record.task.model_copy(update={"reference": {"env": "x", "reward_basis": ["vibes"]}}))


def _agent_records():
    spec = EnvironmentSpec(env="toy", task={"goal": 1}, tools=[{"type": "function", "function": {"name": "get"}}])
    return [Record(kind="episode", task={"prompt": CHAT[:2], "source": SOURCE, "reference": spec.as_reference()},
                   behaviour={"messages": CHAT, "actions": actions_from_messages(CHAT, classify=_errors),
                              "termination": "user_stop", "scaffold": {"agent_loop": "tool_calling"}}),
            Record(kind="tool_trajectory", task={"prompt": "p", "source": SOURCE},
                   behaviour={"actions": [{"name": "t", "arguments": {"x": [1, None]}, "observation": {"rows": []},
                                           "state_hash": "s1", "state_diff": {"a": None}, "provenance": "synthetic"}]})]


def test_agent_records_round_trip_through_parquet_as_typed_columns(tmp_path):
    records = _agent_records()
    write_parquet_shards(records, tmp_path / "data")
    table = pq.read_table(tmp_path / "data" / "part-00000.parquet")
    episode = table.to_pylist()[0]
    assert [a["name"] for a in episode["actions"]] == ["get", "cancel", "cancel"]
    assert [a["error_kind"] for a in episode["actions"]] == [None, "tool_error", None]
    assert episode["messages"][2]["tool_calls"][1]["function"] == {"name": "cancel", "arguments": "{id: ABC"}
    assert episode["termination"] == "user_stop"
    back = list(read_parquet_records(tmp_path / "data"))
    assert [r.model_dump() for r in back] == [r.model_dump() for r in records]


def test_layout_2_rows_with_actions_as_json_text_still_read(tmp_path):
    fields = [f for f in RECORD_SCHEMA if f.name not in ("actions", "messages", "termination", "scaffold_json")]
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    fields = [pa.field("prompt_messages", pa.list_(message)) if f.name == "prompt_messages" else f for f in fields]
    fields.insert(17, pa.field("actions_json", pa.string()))
    rows = []
    for record in ONE_OF_EACH:
        row = record_to_row(record)
        actions = record.model_dump(mode="json", exclude_none=True)["behaviour"].get("actions")
        rows.append({**{f.name: row.get(f.name) for f in fields}, "schema_version": 2,
                     "actions_json": None if actions is None else json.dumps(
                         [{k: v for k, v in a.items() if k != "provenance"} for a in actions]),
                     "prompt_messages": None if row["prompt_messages"] is None else [
                         {"role": m["role"], "content": m["content"]} for m in row["prompt_messages"]]})
    (tmp_path / "old").mkdir()
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema(fields)), tmp_path / "old" / "part-00000.parquet")
    back = list(read_parquet_records(tmp_path / "old"))
    assert [r.id for r in back] == list(SCHEMA_2_IDS.values())
    assert [r.model_dump() for r in back] == [r.model_dump() | {"schema_version": 2} for r in ONE_OF_EACH]


def test_recorded_tau_bench_conversations_validate(shared_data):
    rows = json.loads((shared_data / "taubench/historical/gpt-4o-airline.json").read_text())
    for row in rows:
        traj = row["traj"]
        record = Record(kind="episode", task={"prompt": traj[:2], "source": SOURCE, "reference": {"env": "tau_airline"}},
                        behaviour={"messages": traj, "actions": actions_from_messages(traj, classify=_errors)})
        # τ-bench runs one call per turn and answers it in the next message; gpt-4o reuses call ids
        # within a conversation (49 of the 200), so pairing must take the oldest open call of an id
        turns = [(m["tool_calls"][0], traj[i + 1]) for i, m in enumerate(traj) if m.get("tool_calls")]
        assert [(a.id, a.name) for a in record.behaviour.actions] == [(c["id"], c["function"]["name"]) for c, _ in turns]
        assert [a.observation for a in record.behaviour.actions] == [reply["content"] for _, reply in turns]
        assert Record.model_validate(json.loads(record.model_dump_json())).id == record.id
