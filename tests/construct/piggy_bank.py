"""A small environment for the episode tests: a piggy bank an agent puts coins in, and task records
whose reference is its environment spec."""

from __future__ import annotations

from typing import Any

from reasonledger.records.model import Record
from reasonledger.verifiers.environments.base import Component, Environment, ToolError

ENV = "test_piggy_bank"


class PiggyBank(Environment):
    """Coins go in one call at a time; the task says how many there must be at the end."""

    id = ENV
    version = "1.0.0"
    tools = {"put": "put", "count": "count"}

    def reset(self, task, seed=0):
        self.coins = 0

    def state(self):
        return {"coins": self.coins}

    def put(self, coins: int) -> str:
        """Put coins in the bank."""
        if not isinstance(coins, int) or coins <= 0:
            raise ToolError("coins must be a positive integer")
        self.coins += coins
        return f"{self.coins} coins"

    def count(self) -> int:
        """How many coins are in the bank."""
        return self.coins

    def check(self, task, said, calls):
        found = {o: any(o in s for s in said) for o in task.get("outputs", [])}
        return [Component("state", self.coins == task["target"], evidence={"coins": self.coins}),
                Component("outputs", all(found.values()), evidence={"outputs": found})]


def task_record(target: int = 7, row: int = 0, **spec: Any) -> Record:
    reference = {"env": ENV, "task_id": str(row), "task": {"target": target, "outputs": [str(target)],
                                                           "instruction": f"You want {target} coins in the bank."},
                 "reward_basis": ["state", "outputs"], **spec}
    return Record(kind="prompt_answer", task={"prompt": f"Put {target} coins in the bank, then tell me the count.",
                                              "reference": reference, "source": {"dataset": "tests/episodes", "row_id": str(row)},
                                              "verifier": {"name": "environment"}})
