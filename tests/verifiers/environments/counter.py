"""A tiny environment for testing the environmental verifier without data: a counter an agent adds to."""

from __future__ import annotations

import json
from typing import Any

from reasonledger.records.model import Message
from reasonledger.registry import registry
from reasonledger.verifiers.environments.base import Component, Environment, PolicyViolation, RevisionMismatch, ToolError

NAME = "test_counter"


class Counter(Environment):
    id = NAME
    version = "1.0.0"
    revisions = ("r1", "r2")
    tools = {"add": "add", "read": "read", "reset_all": "reset_all"}

    def __init__(self, revision: str = "r1") -> None:
        if revision not in self.revisions:
            raise RevisionMismatch(f"no revision {revision}")
        self.start = 0 if revision == "r1" else 100
        self.count = self.start

    def reset(self, task, seed=0):
        self.count = self.start

    def state(self):
        return {"count": self.count}

    def add(self, n: int) -> str:
        if n < 0:
            raise ToolError("negative")
        self.count += n
        return str(self.count)

    def read(self) -> str:
        return str(self.count)

    def reset_all(self) -> str:
        raise PolicyViolation("not allowed")

    def check(self, task, said, calls):
        gold = self.start + sum(a["arguments"]["n"] for a in task["gold_actions"])
        found = {o: any(o in s for s in said) for o in task["required_outputs"]}
        return [Component("state", self.count == gold, evidence={"count": self.count, "gold": gold}),
                Component("outputs", all(found.values()), evidence={"outputs": found})]


def register() -> None:
    registry("environment").add(NAME, Counter)


def spec(gold=(2,), outputs=(), revision="r1", basis=("state", "outputs"), initial=None) -> dict[str, Any]:
    return {"env": NAME, "revision": revision, "initial_state_hash": initial, "task_id": "t1", "task": {},
            "gold_actions": [{"name": "add", "arguments": {"n": n}} for n in gold],
            "required_outputs": list(outputs), "reward_basis": list(basis)}


def conversation(*steps: tuple[str, dict, str], said: str = "done") -> list[dict[str, Any]]:
    """Messages: one assistant tool call per (name, arguments, recorded reply), then a reply to the user."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "please add"}]
    for i, (name, arguments, reply) in enumerate(steps):
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}]})
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "name": name, "content": reply})
    messages.append({"role": "assistant", "content": said})
    return [Message.model_validate(m).model_dump(exclude_none=True) for m in messages]
