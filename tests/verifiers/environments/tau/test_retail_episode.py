"""tau_retail through the environment verifier: an episode made of a retail task's gold calls succeeds,
leaving out its write is wrong_state, not saying the required output is missing_output."""

from __future__ import annotations

import json

import pytest

from reasonledger.records.model import Record
from reasonledger.verifiers import get_verifier
from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.tau import data, pins
from reasonledger.verifiers.environments.tau.retail import TauRetail

TASK = 2  # retail test task 2: eleven lookups, a return, and the output "10"


def episode(shared_data, calls, said: str, revision: str = data.CURRENT) -> Record:
    task = data.tasks(shared_data / "taubench", "retail", revision, "test")[TASK]
    env = TauRetail(shared_data, revision)
    env.reset()
    messages = [{"role": "user", "content": task["instruction"]}]
    for i, call in enumerate(calls):
        observation = env.step(ToolCall(call["name"], call["arguments"])).observation
        messages.append({"role": "assistant", "content": "", "tool_calls": [{"id": f"c{i}", "type": "function",
                         "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])}}]})
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "name": call["name"], "content": observation})
    messages.append({"role": "assistant", "content": said})
    spec = {"env": "tau_retail", "revision": revision, "task_id": str(TASK),
            "initial_state_hash": pins.initial_state_hash("tau_retail", revision), "task": task,
            "gold_actions": task["actions"], "required_outputs": task["outputs"], "reward_basis": ["state", "outputs"]}
    return Record(kind="episode", task={"prompt": task["instruction"], "reference": spec,
                                        "source": {"dataset": "sierra-research/tau-bench"}},
                  behaviour={"messages": messages, "termination": "user_stop"})


def judge(shared_data, record):
    return {v.target: v for v in get_verifier("environment", data_root=str(shared_data)).verify_record(record)}


@pytest.mark.parametrize("revision", [data.CURRENT, "7362a17"])
def test_gold_calls_succeed_and_each_failure_is_named(shared_data, revision):
    gold = data.tasks(shared_data / "taubench", "retail", revision, "test")[TASK]["actions"]
    right = judge(shared_data, episode(shared_data, gold, "There are 10 t-shirt options; your return is requested.",
                                       revision))
    assert right["episode"].evidence["outcome"] == "success", right["episode"].evidence
    assert right["state"].evidence["rows_written"] == {"orders": [gold[-1]["arguments"]["order_id"]]}
    no_write = judge(shared_data, episode(shared_data, gold[:-1], "There are 10 options.", revision))
    assert no_write["episode"].evidence["outcome"] == "wrong_state" and not no_write["actions"].passed
    silent = judge(shared_data, episode(shared_data, gold, "Your return is requested.", revision))
    assert silent["episode"].evidence["outcome"] == "missing_output"
    assert silent["outputs"].evidence["outputs"] == {"10": False}
