"""What the τ-bench domains share: the pinned data, τ-bench's observation strings, its data hash and
its reward components (final database equal to the gold actions' database; required outputs said).

Tools return what τ-bench's returned, string for string, because replay compares observations; a
tool refusing a call raises `ToolError` with τ-bench's message (shown as `Error: <message>`).
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from reasonledger.verifiers.environments.base import (
    Component,
    Environment,
    RevisionMismatch,
    StepResult,
    ToolCall,
    ToolError,
)
from reasonledger.verifiers.environments.tau import data, pins
from reasonledger.verifiers.environments.tau.calc import calculate
from reasonledger.verifiers.environments.tau.tables import Database

DATA_ROOT_VARIABLE = "REASONLEDGER_DATA_ROOT"
_GOLD_HASHES: dict[tuple[Any, ...], str] = {}
_CHECKED: set[tuple[Path, str, str]] = set()  # (root, domain, revision) whose data matched its pin


class DataNotPinned(data.TauDataError, RevisionMismatch):
    """The data found for a revision does not hash to that revision's pin."""


def resolve_data_root(given: str | os.PathLike[str] | None) -> Path:
    """The folder holding `taubench/`: the one given, else `$REASONLEDGER_DATA_ROOT`."""
    chosen = given if given is not None else os.environ.get(DATA_ROOT_VARIABLE)
    if not chosen:
        raise data.TauDataMissing(f"no τ-bench data: give the environment a data_root (the folder holding taubench/) "
                                f"or set ${DATA_ROOT_VARIABLE}")
    root = Path(chosen).expanduser()
    return root / "taubench" if (root / "taubench").is_dir() else root


class TauEnvironment(Environment):
    """A τ-bench domain at one pinned data revision; `reset` loads nothing after the first episode."""

    domain: ClassVar[str]
    version = "1.0.0"
    revisions: ClassVar[tuple[str, ...]] = tuple(data.OVERRIDES)
    # calls that end an episode; τ-bench leaves them out when it replays the gold actions
    terminate_tools: ClassVar[tuple[str, ...]] = ("transfer_to_human_agents",)

    def __init__(self, data_root: str | os.PathLike[str] | None = None, revision: str = data.CURRENT) -> None:
        if revision not in self.revisions:
            raise RevisionMismatch(f"{self.id} has no tools for data revision {revision!r}; "
                                    f"pinned revisions: {', '.join(self.revisions)}")
        self.root = resolve_data_root(data_root)
        self.revision = revision
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError(f"{self.id}: reset() before stepping or reading the state")
        return self._db

    def reset(self, task: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        """The pinned initial database (the same for every task: τ-bench's tasks differ in the user only).
        The first reset in a process checks the data against the revision's pin."""
        self._db = Database(data.snapshot(self.root, self.domain, self.revision))
        key = (self.root, self.domain, self.revision)
        if key not in _CHECKED:
            pinned, found = pins.initial_state_hash(self.id, self.revision), self._db.digest()
            if found != pinned:
                raise DataNotPinned(f"{self.root / self.domain}: the data hashes to {found}, not to the pin "
                                       f"{pinned} of {self.id} at revision {self.revision}")
            _CHECKED.add(key)

    def state(self) -> dict[str, dict[str, Any]]:
        return self.db.plain()

    def state_hash(self) -> str:
        """τ-bench's own data hash (sha256 of the nested-tuple text), so recorded gold hashes compare."""
        return self.db.digest()

    def touched(self) -> dict[str, list[str]]:
        """Rows written so far in this episode, by table: the state diff's keys."""
        return self.db.touched()

    def step(self, call: ToolCall) -> StepResult:
        """One call with τ-bench's observation text: `Unknown action <name>`, `Error: <message>`."""
        method_name = self.tools.get(call.name)
        if method_name is None:
            return StepResult(f"Unknown action {call.name}", ok=False, error_kind="unknown_tool")
        method = getattr(self, method_name)
        try:
            inspect.signature(method).bind(**call.arguments)
        except TypeError as exc:
            return StepResult(f"Error: {exc}", ok=False, error_kind="bad_arguments")
        arguments = copy.deepcopy(call.arguments)  # tools may store them in the database
        self.db.begin_step()
        try:
            result = StepResult(method(**arguments))
        except ToolError as exc:
            result = StepResult(f"Error: {exc}", ok=False, error_kind="tool_error")
        except Exception as exc:  # τ-bench shows any exception as `Error: <exc>`; a value of the wrong shape
            result = StepResult(f"Error: {exc}", ok=False, error_kind="bad_arguments")
        return dataclasses.replace(result, changed=self.db.step_changed())

    # -- reward components -------------------------------------------------------------------------

    def task_gold(self, task: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        """The gold actions and required outputs: carried by the task, else read from the task file
        at this revision by `task_index` (and `split`, default test)."""
        if "gold_actions" in task or "actions" in task:
            actions = task.get("gold_actions", task.get("actions")) or []
            outputs = task.get("required_outputs", task.get("outputs")) or []
            return [{"name": a["name"], "arguments": a.get("arguments", a.get("kwargs", {}))} for a in actions], \
                list(outputs)
        if "task_index" not in task:
            raise data.TauDataError(f"{self.id}: a task needs gold_actions or a task_index")
        found = data.tasks(self.root, self.domain, self.revision, task.get("split", "test"))[int(task["task_index"])]
        return found["actions"], found["outputs"]

    def gold_hash(self, gold_actions: Sequence[Mapping[str, Any]]) -> str:
        """The data hash after replaying the gold actions on a fresh database (terminating tools left out,
        as τ-bench does); cached per revision and action list."""
        key = (type(self), self.root, self.revision, json.dumps(list(gold_actions), sort_keys=True))
        if key not in _GOLD_HASHES:
            gold = type(self)(self.root, self.revision)
            gold.reset()
            for action in gold_actions:
                if action["name"] not in self.terminate_tools:
                    gold.step(ToolCall(action["name"], dict(action.get("arguments") or {})))
            _GOLD_HASHES[key] = gold.state_hash()
        return _GOLD_HASHES[key]

    def check(self, task: Mapping[str, Any], said: Sequence[str], calls: Sequence[ToolCall]) -> list[Component]:
        gold_actions, outputs = self.task_gold(task)
        final, gold = self.state_hash(), self.gold_hash(gold_actions)
        state = Component("state", final == gold, evidence={"state_hash": final, "gold_state_hash": gold,
                                                            "rows_written": self.touched()})
        # τ-bench: an output counts when it appears, case-folded, in something the agent said with commas removed
        spoken = [text.lower().replace(",", "") for text in said]
        found = {output: any(output.lower() in text for text in spoken) for output in outputs}
        said_all = all(found.values())
        output_part = Component("outputs", said_all, score=(sum(found.values()) / len(found)) if found else 1.0,
                                evidence={"outputs": found})
        made = [(c.name, json.dumps(c.arguments, sort_keys=True)) for c in calls]
        writes = [a for a in gold_actions if a["name"] not in self.read_only]
        matched = [(a["name"], json.dumps(a.get("arguments") or {}, sort_keys=True)) in made for a in writes]
        actions = Component("actions", all(matched), score=(sum(matched) / len(matched)) if matched else 1.0,
                            evidence={"gold_writes": len(writes), "matched": sum(matched)})
        return [state, output_part, actions]

    # tools that never change the database (the `actions` component compares only the others)
    read_only: ClassVar[frozenset[str]] = frozenset()

    # -- tools both domains have --------------------------------------------------------------------

    def calculate(self, expression: str) -> str:
        """Calculate an arithmetic expression of numbers, + - * / and parentheses."""
        return calculate(expression)

    def think(self, thought: str) -> str:
        """Think about something; nothing is looked up or changed."""
        return ""

    def transfer_to_human_agents(self, summary: str) -> str:
        """Transfer the user to a human agent with a summary of the issue."""
        return "Transfer successful"

    def get_user_details(self, user_id: str) -> str:
        """Get a user's profile by user id."""
        users = self.db["users"]
        if user_id in users:
            return json.dumps(users[user_id])
        raise ToolError("user not found")

