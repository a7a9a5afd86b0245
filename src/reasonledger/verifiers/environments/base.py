"""The environment protocol: a deterministic, pure-Python world an agent acts on through named tools.

An environment is reset to a task's initial state, takes one parsed tool call at a time, and can show
its state as canonical JSON with a cheap hash. Model output reaches it only as a `ToolCall` (a name
and JSON arguments) dispatched through the environment's method table; nothing is ever evaluated.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from reasonledger.records.model import json_digest

# Why a call failed: the tool refused it, no tool has that name, the arguments do not bind to the
# tool's signature or have the wrong types, or the environment's policy forbids it.
ErrorKind = Literal["tool_error", "unknown_tool", "bad_arguments", "policy"]


class ToolError(Exception):
    """Raised by a tool for a failure the agent should see (unknown user, no seats left, ...)."""


class PolicyViolation(ToolError):
    """Raised by a tool when the call is well-formed but the environment's policy forbids it."""


class EnvironmentUnavailable(RuntimeError):
    """Raised when an environment cannot be opened on this machine at all (its data is not where it was
    told to look): the set-up is at fault, not the episode, so no episode is labelled with it; the
    build or the reward stops and says what to point at."""


class RevisionMismatch(Exception):
    """Raised by an environment asked for a data revision it cannot rebuild (its tools are not pinned
    there, or the data found does not hash to the revision's pin): an episode recorded at that revision
    is reported as such, never re-scored against other data."""


@dataclass(frozen=True)
class ToolCall:
    """One call as the model wrote it, after parsing: `arguments` is decoded JSON, never code."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str = ""

    @classmethod
    def from_openai(cls, call: Mapping[str, Any]) -> "ToolCall":
        """From an OpenAI `tool_calls` entry; arguments given as a JSON string are decoded (a string
        that is not a JSON object becomes `{"__unparsed__": text}`, which no tool signature accepts)."""
        function = call.get("function") or {}
        raw = function.get("arguments", {})
        if isinstance(raw, str):
            try:
                raw = json.loads(raw) if raw.strip() else {}
            except json.JSONDecodeError:
                raw = {"__unparsed__": raw}
        if not isinstance(raw, dict):
            raw = {"__unparsed__": raw}
        return cls(name=str(function.get("name", "")), arguments=raw, id=str(call.get("id", "")))


@dataclass(frozen=True)
class StepResult:
    """What one call did: the observation the agent sees, whether it succeeded, and whether the state moved."""

    observation: Any
    ok: bool = True
    error_kind: ErrorKind | None = None
    changed: bool = False


@dataclass(frozen=True)
class Component:
    """One reward component's judgment (`state`, `outputs`, `actions`, ...): each is its own verdict,
    so one never overwrites another."""

    name: str
    passed: bool
    score: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


class Environment:
    """Base class. Subclasses set `id` and `version`, fill `tools` (name -> method name) and implement
    `reset`, `state` and `check`; `step` dispatches through `tools` and classifies failures, and
    `tool_schemas` shows the tools in OpenAI's function format.

    Subclasses that keep their state as a mapping of tables may override `state_hash` with a per-row
    hash so per-step hashes stay cheap on large databases.
    """

    id: ClassVar[str]
    version: ClassVar[str]
    # tool name -> the name of the method that implements it
    tools: ClassVar[Mapping[str, str]] = {}

    def reset(self, task: Mapping[str, Any], seed: int = 0) -> None:
        raise NotImplementedError

    def check(self, task: Mapping[str, Any], said: Sequence[str], calls: Sequence[ToolCall]) -> list[Component]:
        """Judge an episode that has just been replayed on this instance (so `state()` is its final
        state): `said` is what the agent told the user, `calls` the calls it made, in order. An
        environment may rebuild anything it needs (the gold final state) on a fresh instance."""
        raise NotImplementedError

    def state(self) -> Any:
        """The whole state as canonical JSON data (dicts, lists, strings, numbers, booleans, None)."""
        raise NotImplementedError

    def state_hash(self) -> str:
        return json_digest(self.state(), length=32)

    def tool_schemas(self) -> list[dict[str, Any]]:
        """The tools in OpenAI's function format: what a policy is shown and a spec's `tools` holds. By
        default each tool method's signature and docstring (`method_schema`); an environment whose tools
        come with the task (BFCL's) overrides it and answers after `reset`."""
        return [method_schema(name, getattr(self, method_name)) for name, method_name in sorted(self.tools.items())]

    def user_turns(self, task: Mapping[str, Any]) -> list[list[dict[str, Any]]] | None:
        """The user's turns when the task scripts them (BFCL multi-turn), each a list of messages, the
        first included; None when the user is the task's prompt alone (or a simulator). An episode
        feeds turn k+1 when the policy ends turn k and ids each call `t<k>.<n>`, by which such an
        environment's `check` tells the turns apart."""
        return None

    def step(self, call: ToolCall) -> StepResult:
        method_name = self.tools.get(call.name)
        if method_name is None:
            return StepResult(f"Error: unknown tool {call.name!r}", ok=False, error_kind="unknown_tool")
        method: Callable[..., Any] = getattr(self, method_name)
        try:
            inspect.signature(method).bind(**call.arguments)
        except TypeError as exc:
            return StepResult(f"Error: {exc}", ok=False, error_kind="bad_arguments")
        before = self.state_hash()
        try:
            result = StepResult(method(**call.arguments))
        except PolicyViolation as exc:
            result = StepResult(f"Error: {exc}", ok=False, error_kind="policy")
        except ToolError as exc:
            result = StepResult(f"Error: {exc}", ok=False, error_kind="tool_error")
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
            # a value of the wrong type or shape inside well-bound arguments
            result = StepResult(f"Error: {type(exc).__name__}: {exc}", ok=False, error_kind="bad_arguments")
        return dataclasses.replace(result, changed=self.state_hash() != before)


_JSON_TYPES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array",
                               tuple: "array", dict: "object"}


def method_schema(name: str, method: Callable[..., Any]) -> dict[str, Any]:
    """One tool in OpenAI's function format from its method: the docstring as the description, each
    parameter typed from its annotation, those without a default required."""
    hints = typing.get_type_hints(method)
    parameters = list(inspect.signature(method).parameters.values())
    return {"type": "function", "function": {
        "name": name, "description": inspect.getdoc(method) or "",
        "parameters": {"type": "object",
                       "properties": {p.name: json_schema(hints[p.name]) if p.name in hints else {} for p in parameters},
                       "required": [p.name for p in parameters if p.default is inspect.Parameter.empty]}}}


def json_schema(hint: Any) -> dict[str, Any]:
    """The JSON schema of a parameter annotation: str, int, float, bool, list[...], dict[...], a Literal
    (an enum), `X | None` (as X); anything else is an object."""
    origin = typing.get_origin(hint) or hint
    arguments = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        kept = [a for a in arguments if a is not type(None)]
        return json_schema(kept[0]) if len(kept) == 1 else {}
    if origin is typing.Literal:
        return {"enum": list(arguments)}
    if origin is Any:
        return {}
    if origin in (list, tuple) and arguments and arguments[-1] is not Ellipsis:
        return {"type": "array", "items": json_schema(arguments[0])}
    return {"type": _JSON_TYPES.get(origin, "object")}
