"""Agent data in: τ-bench recorded trajectories, SWE-agent runs with a resolved flag and Agent Data
Protocol trajectories become tool trajectories and episodes; bad rows are quarantined with their line."""

import collections
import json

import pytest

from reasonledger.formats.importers import import_file
from reasonledger.records.agent import environment_spec
from reasonledger.records.model import Record
from reasonledger.records.parquet import read_parquet_records, write_parquet_shards
from reasonledger.records.quarantine import BadRow

TAU = "taubench/historical/gpt-4o-airline.json"


def _split(items):
    items = list(items)
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, BadRow)]


def test_tau_bench_trajectories_are_episodes_pinned_to_their_revision(shared_data, tmp_path):
    records, bad = _split(import_file(shared_data / TAU, "tau-bench", revision="7362a17"))
    assert len(records) == 200 and not bad and len({r.id for r in records}) == 200
    assert collections.Counter(r.behaviour.termination for r in records) == {
        "user_stop": 147, "agent_stop": 48, "max_steps": 5}
    # the recorded reward is kept as what the dataset said: 84 of 200 were rewarded
    recorded = [v for r in records for v in r.verdicts]
    assert len(recorded) == 200 and sum(v.passed for v in recorded) == 84
    assert {(v.verifier, v.target, v.label_source) for v in recorded} == {("tau_bench_reward", "episode", "dataset")}
    # the five runs that hit the step limit have no reward_info: τ-bench scored them without one
    assert all((r.behaviour.termination == "max_steps") == (r.verdicts[0].evidence["reward_info"] is None)
               for r in records)
    first = records[0]
    spec = environment_spec(first.task)
    assert (spec.env, spec.revision, spec.task_id, spec.limits.max_steps) == ("tau_airline", "7362a17", "0", 30)
    assert spec.initial_state_hash and spec.gold_actions[0].name == "book_reservation"
    assert spec.reward_basis == ["state"] and spec.policy_hash == first.behaviour.scaffold["system_prompt_hash"]
    with_outputs = [environment_spec(r.task) for r in records if environment_spec(r.task).required_outputs]
    assert with_outputs and all(s.reward_basis == ["state", "outputs"] for s in with_outputs)
    assert first.task.verifier.name == "environment" and first.lineage.events[0].model == "gpt-4o"
    # every call kept, failed ones classified from τ-bench's "Error: ..." replies
    calls = sum(len(m.tool_calls or []) for r in records for m in r.behaviour.messages)
    actions = [a for r in records for a in r.behaviour.actions]
    assert len(actions) == calls == 1164
    assert sum(a.error_kind == "tool_error" for a in actions) == 73 and all(a.observation is not None for a in actions)
    write_parquet_shards(records, tmp_path / "data")
    assert [r.id for r in read_parquet_records(tmp_path / "data")] == [r.id for r in records]


def test_tau_bench_rows_from_another_revision_are_bad_rows(shared_data):
    current_tasks = shared_data / "taubench/airline/tasks_test.py"
    records, bad = _split(import_file(shared_data / TAU, "tau-bench", revision="59a200c", tasks=str(current_tasks)))
    assert len(records) + len(bad) == 200 and len(bad) == 148
    assert bad[0].line == 1 and "differs from" in bad[0].reason and "instruction" in bad[0].reason


def test_tau_bench_needs_a_revision_and_a_readable_task_file(tmp_path):
    path = tmp_path / "gpt-4o-airline.json"
    path.write_text("[]")
    (bad,) = list(import_file(path, "tau-bench"))
    assert bad.line == 0 and "--revision" in bad.reason
    (bad,) = list(import_file(path, "tau-bench", revision="abc"))
    assert "cannot read the task file at revision abc" in bad.reason
    tasks = tmp_path / "tasks.py"
    tasks.write_text("TASKS = [Task(user_id='u', instruction='i', actions=[Action(name='get', kwargs={'x': 1})], "
                     "outputs=['42'])]\n")
    row = {"task_id": 0, "trial": 0, "reward": 1.0,
           "info": {"task": {"user_id": "u", "instruction": "i", "actions": [{"name": "get", "kwargs": {"x": 1}}],
                             "outputs": ["42"]}, "reward_info": {"reward": 1.0}},
           "traj": [{"role": "system", "content": "policy"}, {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "It is 42."}, {"role": "user", "content": "###STOP###"}]}
    path.write_text(json.dumps([row, {**row, "task_id": 3}, {**row, "traj": [{"role": "assistant", "content": "?"}]}]))
    (good,), bad = _split(import_file(path, "tau-bench", revision="abc", tasks=str(tasks)))
    assert environment_spec(good.task).required_outputs == ["42"] and good.behaviour.termination == "user_stop"
    assert environment_spec(good.task).initial_state_hash is None  # no pin for this revision
    assert [(b.line, b.reason.split(":")[0]) for b in bad] == [(2, "ValueError"), (3, "ValueError")]
    assert "task_id 3 is not a task" in bad[0].reason and "no user turn" in bad[1].reason


SWE_ROW = {
    "instance_id": "org__repo-1", "model_name": "swe-agent-llama-70b", "target": True, "exit_status": "submitted",
    "generated_patch": "diff --git a/x b/x", "eval_logs": "PASSED",
    "trajectory": [
        {"role": "system", "system_prompt": "SETTING: a shell", "text": None, "mask": False},
        {"role": "user", "text": "ISSUE: x is wrong", "mask": False},
        {"role": "ai", "text": "Let me look.\n```\nls -F\n```", "mask": True},
        {"role": "user", "text": "x.py\n(Open file: n/a)", "mask": False},
        {"role": "ai", "text": "Done.\n```\nsubmit\n```", "mask": True},
        {"role": "user", "text": "submitted", "mask": False}],
}


def test_swe_agent_runs_are_episodes_with_the_resolved_flag(tmp_path):
    path = tmp_path / "runs.jsonl"
    rows = [SWE_ROW, {**SWE_ROW, "target": False, "exit_status": "submitted (exit_cost)"},
            {**SWE_ROW, "target": "yes"}, {**SWE_ROW, "trajectory": [{"role": "robot", "text": "x"}]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (resolved, unresolved), bad = _split(import_file(path, "swe-agent"))
    assert [(a.name, a.arguments["command"], a.observation) for a in resolved.behaviour.actions] == [
        ("bash", "ls -F", "x.py\n(Open file: n/a)"), ("bash", "submit", "submitted")]
    assert [m.role for m in resolved.task.prompt] == ["system", "user"]
    assert resolved.task.prompt[0].content == "SETTING: a shell"
    assert (resolved.verdicts[0].passed, unresolved.verdicts[0].passed) == (True, False)
    assert (resolved.behaviour.termination, unresolved.behaviour.termination) == ("agent_stop", "max_steps")
    assert resolved.behaviour.answer == "diff --git a/x b/x" and resolved.meta["eval_logs"] == "PASSED"
    assert resolved.meta["turn_extras"]["trajectory.2"] == {"mask": True}
    assert environment_spec(resolved.task).task_id == "org__repo-1" and resolved.task.verifier is None
    assert [b.line for b in bad] == [3, 4]
    assert "'target' is 'yes'" in bad[0].reason and "trajectory.0.role is 'robot'" in bad[1].reason


ADP_ROW = {
    "schema_version": "1.2.0", "id": "traj-1",
    "content": [
        {"class_": "text_observation", "content": "Find the weather in Oslo.", "source": "user"},
        {"class_": "api_action", "function": "get_weather", "kwargs": {"city": "Oslo"}, "description": "I look it up.",
         "tool_call_id": "t1"},
        {"class_": "text_observation", "content": "3 degrees", "source": "environment", "tool_call_id": "t1"},
        {"class_": "code_action", "language": "python", "content": "print(3 * 9 / 5 + 32)", "description": "",
         "reward": 0.5},
        {"class_": "text_observation", "content": "37.4", "source": "user"},
        {"class_": "message_action", "content": "It is 3 °C (37.4 °F).", "description": "answer"}],
    "details": {"dataset": "toy_weather"},
}


def test_agent_data_protocol_trajectories_become_tool_trajectories(tmp_path):
    path = tmp_path / "adp.json"
    unanswered = {**ADP_ROW, "content": [*ADP_ROW["content"][:2],
                                         {"class_": "text_observation", "content": "?", "tool_call_id": "zz"}]}
    image = {**ADP_ROW, "content": [ADP_ROW["content"][0], {"class_": "image_observation", "content": "x.png"}]}
    path.write_text(json.dumps([ADP_ROW, unanswered, image]))
    (record,), bad = _split(import_file(path, "adp"))
    assert [m.role for m in record.behaviour.messages] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    web, code = record.behaviour.actions
    assert (web.id, web.name, web.arguments, web.observation) == ("t1", "get_weather", {"city": "Oslo"}, "3 degrees")
    assert (code.name, code.arguments, code.observation) == ("execute_python", {"code": "print(3 * 9 / 5 + 32)"}, "37.4")
    assert record.behaviour.messages[1].content == "I look it up."
    assert record.behaviour.response == "It is 3 °C (37.4 °F)."
    assert record.task.source.dataset == "toy_weather" and record.task.source.row_id == "traj-1"
    assert record.meta["content_extras"] == {"content.3": {"reward": 0.5}, "content.5": {"description": "answer"}}
    assert record.meta["details"] == {"dataset": "toy_weather"} and record.meta["schema_version"] == "1.2.0"
    assert [b.line for b in bad] == [2, 3]
    assert "'zz', which is not open" in bad[0].reason and "image_observation" in bad[1].reason


@pytest.mark.parametrize("fmt", ["tau-bench", "swe-agent", "adp"])
def test_a_row_that_is_not_an_object_is_a_bad_row(tmp_path, fmt):
    path = tmp_path / "gpt-4o-airline.jsonl"
    path.write_text('"just text"\n')
    items = list(import_file(path, fmt, **({"revision": "x"} if fmt == "tau-bench" else {})))
    assert len(items) == 1 and isinstance(items[0], BadRow)


def test_openai_tools_from_a_hub_parquet_file(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}
    rows = [{"messages": [{"role": "user", "content": "Weather in Oslo?"},
                          {"role": "assistant", "content": None, "tool_calls": [call]},
                          {"role": "tool", "content": "3 degrees", "tool_call_id": "c1"},
                          {"role": "assistant", "content": "3 degrees."}],
             "tools": json.dumps([{"type": "function", "function": {"name": "get_weather"}}])}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "train-00000.parquet")  # absent keys become nulls
    (record,), bad = _split(import_file(tmp_path / "train-00000.parquet", "openai-tools"))
    assert not bad and record.meta == {}  # the nulls Arrow filled in are not kept as extras
    assert record.task.reference["tools"] == [{"type": "function", "function": {"name": "get_weather"}}]
    assert [(a.name, a.observation) for a in record.behaviour.actions] == [("get_weather", "3 degrees")]
