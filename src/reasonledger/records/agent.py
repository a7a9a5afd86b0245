"""The record side of agent data: the environment spec an episode is checked against, and the
actions read out of an OpenAI tool-call conversation.

A `tool_trajectory` or `episode` keeps its reference as an `EnvironmentSpec` (stored as its dict):
which environment, at which data revision and initial state, the task payload, the gold actions and
required outputs, which components decide the reward, the limits, the tool schemas and a hash of
the policy text. Its behaviour keeps the whole conversation (`messages`) and the calls normalised as
`Action`s, each paired with the tool message that answered it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reasonledger.records.model import Action, ErrorKind, Message, Record, Task, Verdict, hash_observation, json_digest

# "results" and "turns": BFCL multi-turn (the gold calls' results seen; calls only in turns that act)
RewardComponent = Literal["state", "outputs", "actions", "tests", "calls", "results", "turns", "fail_to_pass",
                          "pass_to_pass"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class GoldAction(_Spec):
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class Limits(_Spec):
    max_steps: int | None = Field(default=None, ge=1)
    time_s: float | None = Field(default=None, gt=0)


class EnvironmentSpec(_Spec):
    """What an episode is checked against; `task` is the environment's own task payload (τ-bench:
    user_id, instruction, actions, outputs; BFCL: question and ground truth). `env` None: no
    environment to replay against, only the tool schemas the model was shown (a tool-call chat file)."""

    env: str | None = None
    version: str | None = None
    revision: str | None = None
    initial_state_hash: str | None = None
    task_id: str | None = None
    task: dict[str, Any] = Field(default_factory=dict)
    gold_actions: list[GoldAction] = Field(default_factory=list)
    required_outputs: list[str] = Field(default_factory=list)
    reward_basis: list[RewardComponent] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    tools: list[dict[str, Any]] = Field(default_factory=list)
    policy_hash: str | None = None

    @field_validator("tools", mode="before")
    @classmethod
    def _tools_text(cls, value: Any) -> Any:
        """Tool schemas stored as one JSON text (as many Hub datasets keep them) are read as JSON."""
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"tools is text that is not JSON: {exc}") from None
        return value

    def as_reference(self) -> dict[str, Any]:
        """The dict a record stores as `task.reference`."""
        return self.model_dump(mode="json")


def environment_spec(task: Task) -> EnvironmentSpec:
    """The environment spec of a tool trajectory's or episode's task; a ValueError saying what is
    wrong when its reference is not one."""
    reference = task.reference
    if not isinstance(reference, Mapping):
        raise ValueError(f"task.reference is {type(reference).__name__}, not an environment spec (a mapping: "
                         "env, revision, task, gold_actions, tools, ...)")
    try:
        return EnvironmentSpec.model_validate(reference)
    except ValidationError as exc:
        raise ValueError(f"task.reference is not an environment spec: {exc}") from None


def replay_verdict(record: Record) -> Verdict | None:
    """The environment's verdict on the whole episode (target `episode`, label source `environment`):
    the last one, as a re-verification replaces the one before; None when no replay judged it."""
    return next((v for v in reversed(record.verdicts) if v.target == "episode" and v.label_source == "environment"),
                None)


def text_hash(text: str) -> str:
    """The hash kept of a long text that identifies a setting (a policy, a system prompt)."""
    return json_digest(text, length=32)


def _message(value: Message | Mapping[str, Any]) -> Message:
    return value if isinstance(value, Message) else Message.model_validate(value)


def _arguments(text: str) -> tuple[dict[str, Any] | None, Any]:
    """(arguments, raw): the decoded JSON object, or None and the text when it is not one."""
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return None, text
    return (value, None) if isinstance(value, dict) else (None, text)


def actions_from_messages(
    messages: Sequence[Message | Mapping[str, Any]],
    classify: Callable[[Any], ErrorKind | None] | None = None,
) -> list[Action]:
    """Each assistant tool call as an Action, in order, with the tool message that answered it.

    A reply is paired by `tool_call_id` (a reply without one answers the oldest open call of its
    `name`, or the oldest open call); a call nobody answered keeps observation None. Arguments
    that are not a JSON object are kept raw in `action`. `classify(observation)` names a recorded
    failure (a harness's "Error: ..." text) when the format has a convention for it. A tool reply to
    no call is a ValueError."""
    actions: list[Action] = []
    open_calls: list[int] = []
    for i, value in enumerate(messages):
        message = _message(value)
        if message.role == "assistant":
            for call in message.tool_calls or ():
                arguments, raw = _arguments(call.function.arguments)
                actions.append(Action(id=call.id, name=call.function.name, arguments=arguments,
                                      action=None if raw is None else {"arguments": raw}))
                open_calls.append(len(actions) - 1)
        elif message.role == "tool":
            index = _answered(actions, open_calls, message)
            if index is None:
                raise ValueError(f"messages.{i} is a tool reply (tool_call_id {message.tool_call_id!r}) to no "
                                 "open assistant tool call")
            open_calls.remove(index)
            kind = classify(message.content) if classify else None
            actions[index] = actions[index].model_copy(update={
                "observation": message.content, "observation_hash": hash_observation(message.content),
                "ok": kind is None, "error_kind": kind})
    return actions


def _answered(actions: list[Action], open_calls: list[int], reply: Message) -> int | None:
    if reply.tool_call_id is not None:
        return next((j for j in open_calls if actions[j].id == reply.tool_call_id), None)
    named = [j for j in open_calls if reply.name is None or actions[j].name == reply.name]
    return named[0] if named else None


def agent_said(messages: Iterable[Message | Mapping[str, Any]]) -> list[str]:
    """What the agent told the user: the text of each assistant turn that has any and calls no tool
    (a turn that calls a tool is a tool action, as τ-bench's tool-calling agent reads it)."""
    return [m.content for m in map(_message, messages) if m.role == "assistant" and m.content and not m.tool_calls]


__all__ = ["EnvironmentSpec", "GoldAction", "Limits", "actions_from_messages", "agent_said",
           "environment_spec", "hash_observation", "text_hash"]
