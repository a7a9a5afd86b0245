"""SWE-agent trajectories with a resolved flag (the layout of nebius/SWE-agent-trajectories) as episodes.

A row is one SWE-agent run on one SWE-bench-style instance: `trajectory` turns (`system` with its
`system_prompt`, `user` for the issue and each shell observation, `ai` for the model's discussion and
one fenced command), the `generated_patch`, the `exit_status`, and whether the patch resolved the
instance (`target`). Each `ai` turn's command becomes an action on the shell (`bash` with
`{"command": ...}`), observed by the `user` turn after it. The resolved flag is kept as a `dataset`
verdict on the episode; the evaluation itself (the repository's tests) is not replayed here, so the
records name no verifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.formats.importers._common import json_rows
from reasonledger.formats.importers.fields import unmapped
from reasonledger.records.agent import EnvironmentSpec, text_hash
from reasonledger.records.jsonl import parse_rows
from reasonledger.records.model import Action, Kind, Record, Termination, Verdict, hash_observation
from reasonledger.records.parquet import parquet_rows
from reasonledger.records.quarantine import BadRow

_FENCE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)
_ROLES = {"system": "system", "user": "user", "ai": "assistant", "assistant": "assistant"}
# SWE-agent's exit statuses: the agent submitted; a budget or the context ran out (an auto-submission
# after one reads "submitted (exit_cost)"); anything else is the harness failing
_LIMITS = ("exit_cost", "exit_context", "exit_total_execution_time", "exit_command_timeout")


def command(text: str) -> str | None:
    """The command of an `ai` turn: its last fenced block (SWE-agent's DISCUSSION + ``` command ```)."""
    blocks = _FENCE.findall(text)
    return blocks[-1].strip("\n") if blocks else None


def termination(exit_status: Any) -> Termination | None:
    if not isinstance(exit_status, str) or not exit_status:
        return None
    if exit_status == "submitted":
        return "agent_stop"
    return "max_steps" if any(limit in exit_status for limit in _LIMITS) else "error"


def _messages(turns: Any) -> tuple[list[dict[str, str]], dict[str, dict[str, Any]]]:
    """The turns as chat messages, and each turn's other fields (`mask`, ...) by path."""
    if not isinstance(turns, list) or not turns:
        raise ValueError("trajectory is not a non-empty list of turns")
    messages, extras = [], {}
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or turn.get("role") not in _ROLES:
            raise ValueError(f"trajectory.{i}.role is {turn.get('role') if isinstance(turn, dict) else turn!r}, "
                             f"not one of {', '.join(_ROLES)}")
        text = turn.get("system_prompt") if turn["role"] == "system" and turn.get("system_prompt") else turn.get("text")
        if not isinstance(text, str):
            raise ValueError(f"trajectory.{i} has no text")
        messages.append({"role": _ROLES[turn["role"]], "content": text})
        other = {k: v for k, v in turn.items() if k not in ("role", "text", "system_prompt") and v is not None}
        if other:
            extras[f"trajectory.{i}"] = other
    return messages, extras


def _actions(messages: list[dict[str, str]]) -> list[Action]:
    actions = []
    for i, message in enumerate(messages):
        found = command(message["content"]) if message["role"] == "assistant" else None
        if found is None:
            continue
        reply = messages[i + 1]["content"] if i + 1 < len(messages) and messages[i + 1]["role"] == "user" else None
        actions.append(Action(name="bash", arguments={"command": found}, observation=reply,
                              observation_hash=None if reply is None else hash_observation(reply)))
    return actions


def read_swe_agent(path: Path, resolved_field: str = "target", dataset: str | None = None,
                   license: str | None = None, split: str | None = None,
                   revision: str | None = None) -> Iterator[Record | BadRow]:
    """Episode records from SWE-agent runs (JSON array, JSONL or Parquet): `resolved_field` (a
    boolean; `target` in nebius/SWE-agent-trajectories) says whether the patch resolved the instance."""
    rows = parquet_rows(path) if path.suffix == ".parquet" else json_rows(path)
    source = dataset or "nebius/SWE-agent-trajectories"

    def convert(row: dict[str, Any], number: int) -> Record:
        resolved = row[resolved_field]
        if not isinstance(resolved, bool):
            raise ValueError(f"{resolved_field!r} is {resolved!r}, not true or false")
        messages, extras = _messages(row["trajectory"])
        first = next((i for i, m in enumerate(messages) if m["role"] == "assistant"), len(messages))
        if not any(m["role"] == "user" for m in messages[:first]):
            raise ValueError("trajectory has no user turn (the issue) before the first ai turn")
        system = next((m["content"] for m in messages[:first] if m["role"] == "system"), None)
        instance = str(row["instance_id"])
        spec = EnvironmentSpec(env="swe_bench", task_id=instance, task={"instance_id": instance},
                               reward_basis=["tests"], policy_hash=None if system is None else text_hash(system))
        patch = row.get("generated_patch")
        model = row.get("model_name")
        return Record(
            kind=Kind.episode,
            task={"prompt": messages[:first], "reference": spec.as_reference(),
                  "source": {"dataset": source, "row_id": instance, "license": license, "split": split,
                             "revision": revision}},
            behaviour={"messages": messages, "actions": _actions(messages),
                       "answer": patch if isinstance(patch, str) and patch else None,
                       "termination": termination(row.get("exit_status")),
                       "scaffold": {"agent_loop": "swe-agent", "system_prompt_hash": spec.policy_hash}},
            verdicts=[Verdict(verifier="swe_bench_resolved", version=revision or "unpinned", target="episode",
                              score=float(resolved), passed=resolved, label_source="dataset",
                              evidence={"origin": f"{path.name} field {resolved_field}"})],
            lineage={"events": [{"stage": "import", "step": "swe_agent",
                                 "model": model if isinstance(model, str) else None}]},
            meta={**unmapped(row, ["trajectory", resolved_field, "instance_id", "generated_patch", "model_name"]),
                  **({"turn_extras": extras} if extras else {})},
        )

    yield from parse_rows(rows, str(path), convert)
