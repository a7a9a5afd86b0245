"""Episodes end to end: both environments are registered, and the environment verifier replays a recorded
repair against an SWE-lite task record, and the gold commands of every shell_fs task record, one verdict per
component."""

from __future__ import annotations

import pytest

from reasonledger.records.model import Kind, Record
from reasonledger.registry import registry
from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.swe import instances as inst
from reasonledger.verifiers.environments.swe.build import instance_record
from reasonledger.verifiers.environments.swe.mutate import normalise
from reasonledger.verifiers.environments.swe.shell_fs import ShellFs, shell_tasks
from reasonledger.verifiers.environments.swe.shell_fs import task_record as shell_task_record
from reasonledger.verifiers.environments.swe.swe_lite import SweLite
from tests.verifiers.code.sandbox import needs_sandbox


def test_both_environments_are_registered():
    assert registry("environment")["swe_lite"] is SweLite
    assert registry("environment")["shell_fs"] is ShellFs


@pytest.fixture(scope="module")
def task_record(verifier):
    task = inst.CodeTask("toy", "max", "Return the largest of xs.", "f", {"dataset": "toy", "license": "MIT"},
                         normalise("def f(xs):\n    best = xs[0]\n    for x in xs[1:]:\n        if x > best:\n"
                                   "            best = x\n    return best\n"),
                         {"format": "assert", "fn_name": "f", "setup": "", "test": "assert f([3, 1, 2]) == 3\nassert f([1, 5]) == 5\n"})
    kept = next(i for i in inst.build([task], verifier, per_task=50) if isinstance(i, inst.Instance))
    return instance_record(kept, seed=0), kept


def _episode(task_record: Record, contents: list[str]) -> Record:
    """An episode on the task: the agent writes each content in turn, observations as the environment gave them
    (the environment made here uses the process's shared sandbox, as the verifier's will)."""
    spec = task_record.task.reference
    env = SweLite()
    env.reset(spec["task"])
    actions = []
    for k, content in enumerate(contents):
        args = {"path": "solution.py", "content": content}
        result = env.step(ToolCall("write_file", args))
        actions.append({"id": f"c{k}", "name": "write_file", "arguments": args, "observation": result.observation,
                        "ok": result.ok, "state_hash": env.state_hash()})
    return Record(kind=Kind.episode, task=task_record.task.model_dump(mode="json"),
                  behaviour={"actions": actions, "termination": "agent_stop"})


@needs_sandbox
def test_the_environment_verifier_replays_a_repair_and_a_failed_one(task_record):
    from reasonledger.verifiers import get_verifier

    record, instance = task_record
    verifier = get_verifier("environment")
    good = {v.target: v for v in verifier.verify_record(_episode(record, [instance.gold]))}
    assert good["fail_to_pass"].passed and good["pass_to_pass"].passed
    assert good["episode"].passed and good["episode"].evidence["outcome"] == "success"
    assert good["episode"].evidence["reward"] == 1.0
    bad = {v.target: v for v in verifier.verify_record(_episode(record, ["def f(xs):\n    return xs[0]\n"]))}
    assert not bad["episode"].passed and bad["episode"].evidence["reward"] == 0.0
    assert not bad["fail_to_pass"].passed or not bad["pass_to_pass"].passed


def _shell_episode(record: Record, commands: list[str]) -> Record:
    spec = record.task.reference
    env = ShellFs()
    env.reset(spec["task"])
    actions = []
    for k, command in enumerate(commands):
        result = env.step(ToolCall("shell", {"command": command}))
        actions.append({"id": f"s{k}", "name": "shell", "arguments": {"command": command},
                        "observation": result.observation, "ok": result.ok, "error_kind": result.error_kind})
    return Record(kind=Kind.episode, task=record.task.model_dump(mode="json"),
                  behaviour={"actions": actions, "termination": "agent_stop"})


@needs_sandbox
def test_shell_fs_task_records_replay_their_gold_commands_and_label_a_wrong_tree():
    from reasonledger.verifiers import get_verifier

    verifier = get_verifier("environment")
    records = [shell_task_record(t) for t in shell_tasks()]
    assert len({r.id for r in records}) == len(records)
    for record, task in zip(records, shell_tasks()):
        gold = {v.target: v for v in verifier.verify_record(_shell_episode(record, task["gold_commands"]))}
        assert gold["episode"].evidence["outcome"] == "success", (task["task_id"], gold["episode"].evidence)
    wrong = {v.target: v for v in verifier.verify_record(_shell_episode(records[1], ["echo 'hello' > greeting.txt"]))}
    assert wrong["episode"].evidence["outcome"] == "wrong_state" and not wrong["state"].passed
