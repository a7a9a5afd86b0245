"""`bfcl_multiturn`: BFCL's multi-turn tasks over its API classes, judged by BFCL's predicates.

The task payload is BFCL's entry: `id`, `initial_config` (per class), `involved_classes`, optionally
`excluded_function` (tools not offered), `question` (the user turns) and `ground_truth` (per turn, the
gold calls as Python call strings such as "cd(folder='document')", read with `ast`, never evaluated).

`check` replays the model's calls and the gold calls turn by turn on two fresh sets of instances, as
BFCL's multi_turn_checker does (gorilla `bfcl_eval/eval_checker/multi_turn_eval/multi_turn_checker.py`),
and returns one component per predicate, each computed over every turn (BFCL stops at the first failure):

- `state`: after every turn that has gold calls, each class's public state equals the gold's;
- `results`: after every such turn, the results of that turn's gold calls are all among the results of
  the model's calls so far (a multiset inclusion, order free: a read done one turn early still counts);
- `turns`: a turn with gold calls has at least one model call, and a turn whose gold is empty (BFCL's
  missing-parameter turns, where the model should ask rather than act) has none.

BFCL's long-context variants (padding added to files, lists and records) are not built: the shipped
categories (multi_turn_base, multi_turn_miss_param) do not use them.

The model's calls are split into turns by the call id: `t<turn>.<anything>` (the BFCL importer and the
episodes step, which feeds the user turns of `user_turns`, write ids so); calls without such an id all
count as the last turn's. `check_turns` takes the turns directly.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from reasonledger.records.model import canonical_json
from reasonledger.verifiers.environments.base import (
    Component, Environment, StepResult, ToolCall, ToolError, method_schema)
from reasonledger.verifiers.environments.bfcl.apis import API_CLASSES, Api, jsonable
from reasonledger.verifiers.environments.bfcl.calls import CallParseError, bind_positional, parse_python_calls

_TURN_ID = re.compile(r"^t(\d+)\.")


class MultiTurnEnvironment(Environment):
    """The instances of a task's involved classes, reset from its initial config; tools by method name."""

    id: ClassVar[str] = "bfcl_multiturn"
    version: ClassVar[str] = "1.0.0"

    def __init__(self) -> None:
        self._apis: dict[str, Api] = {}
        self._methods: dict[str, Api] = {}

    def reset(self, task: Mapping[str, Any], seed: int = 0) -> None:
        config = task.get("initial_config") or {}
        excluded = set(task.get("excluded_function") or ())
        self._apis, self._methods = {}, {}
        for name in task.get("involved_classes") or ():
            if name not in API_CLASSES:
                raise ValueError(f"BFCL task {task.get('id')!r}: unknown API class {name!r} "
                                 f"(known: {', '.join(sorted(API_CLASSES))})")
            api = API_CLASSES[name]()
            api.load(copy.deepcopy(config.get(name) or {}))
            self._apis[name] = api
            for tool in api.tools:
                if tool not in excluded:
                    self._methods[tool] = api

    def state(self) -> Any:
        return {name: api.state() for name, api in self._apis.items()}

    def tool_schemas(self) -> list[dict[str, Any]]:
        """The task's tools (after `reset`), each from its API method's signature. BFCL's function docs,
        with their descriptions, are what the importer puts in a spec's `tools`."""
        return [method_schema(name, getattr(api, name)) for name, api in sorted(self._methods.items())]

    def user_turns(self, task: Mapping[str, Any]) -> list[list[dict[str, Any]]]:
        """BFCL's `question`: one list of user messages a turn."""
        return [[dict(message) for message in turn] for turn in task.get("question") or ()]

    def parameters(self, name: str) -> list[str]:
        """The tool's parameter names in order (to name positional arguments of a call string)."""
        api = self._methods.get(name)
        return list(inspect.signature(getattr(api, name)).parameters) if api else []

    def step(self, call: ToolCall) -> StepResult:
        api = self._methods.get(call.name)
        if api is None:
            return StepResult(f"Error during execution: unknown tool {call.name!r}", ok=False, error_kind="unknown_tool")
        method = getattr(api, call.name)
        try:
            inspect.signature(method).bind(**call.arguments)
        except TypeError as exc:
            return StepResult(f"Error during execution: {exc}", ok=False, error_kind="bad_arguments")
        before = canonical_json(api.state())
        try:
            value = jsonable(method(**call.arguments))
        except ToolError as exc:
            result = StepResult(f"Error during execution: {exc}", ok=False, error_kind="tool_error")
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, ArithmeticError) as exc:
            # a value of the wrong type or shape inside well-bound arguments, as BFCL reports any exception
            result = StepResult(f"Error during execution: {exc}", ok=False, error_kind="bad_arguments")
        else:
            failed = isinstance(value, dict) and "error" in value
            result = StepResult(observation_text(value), ok=not failed, error_kind="tool_error" if failed else None)
        return dataclasses.replace(result, changed=canonical_json(api.state()) != before)

    def check(self, task: Mapping[str, Any], said: Sequence[str], calls: Sequence[ToolCall]) -> list[Component]:
        turns_count = len(task.get("ground_truth") or ())
        return self.check_turns(task, split_turns(calls, turns_count))

    def check_turns(self, task: Mapping[str, Any], turns: Sequence[Sequence[ToolCall]]) -> list[Component]:
        """BFCL's predicates for the model's calls grouped by turn (missing turns count as empty)."""
        gold = gold_turns(task)
        model_env, gold_env = type(self)(), type(self)()
        model_env.reset(task)
        gold_env.reset(task)
        seen: list[str] = []
        state_fail: list[dict[str, Any]] = []
        results_fail: list[dict[str, Any]] = []
        turns_fail: list[dict[str, Any]] = []
        for index, gold_calls in enumerate(gold):
            model_calls = list(turns[index]) if index < len(turns) else []
            seen.extend(result_key(model_env.step(call)) for call in model_calls)
            gold_results = [result_key(gold_env.step(call)) for call in gold_calls]
            if not gold_calls:
                if model_calls:
                    turns_fail.append({"turn": index, "reason": "calls made in a turn whose gold is to ask, not act",
                                       "calls": len(model_calls)})
                continue
            if not model_calls:
                turns_fail.append({"turn": index, "reason": "no calls in a turn with gold calls"})
            model_state, gold_state = model_env.state(), gold_env.state()
            differing = {name: sorted(key for key in gold_state[name]
                                      if model_state.get(name, {}).get(key) != gold_state[name][key])
                         for name in gold_state if model_state.get(name) != gold_state[name]}
            if differing:
                state_fail.append({"turn": index, "classes": sorted(differing), "fields": differing})
            missing = list((Counter(gold_results) - Counter(seen)).elements())
            if missing:
                results_fail.append({"turn": index, "missing": missing[:5], "missing_count": len(missing)})
        checked = sum(1 for calls in gold if calls)
        return [
            _component("turns", turns_fail, len(gold)),
            _component("state", state_fail, checked),
            _component("results", results_fail, checked),
        ]


def _component(name: str, failures: list[dict[str, Any]], turns: int) -> Component:
    passed = not failures
    evidence: dict[str, Any] = {"turns_checked": turns, "failed_turns": [failure["turn"] for failure in failures]}
    if failures:
        evidence["first_failure"] = failures[0]
    return Component(name, passed, 1.0 if passed else 0.0, evidence)


def observation_text(result: Any) -> str:
    """A tool's return value as the text the model sees (JSON), as BFCL turns results into strings."""
    return json.dumps(result, ensure_ascii=False)


def result_key(result: StepResult) -> str:
    """A call's result as one string, compared as BFCL compares execution results."""
    return str(result.observation)


def split_turns(calls: Sequence[ToolCall], turns: int) -> list[list[ToolCall]]:
    """Calls grouped by the turn in their id (`t<turn>.`); calls without one go to the last turn."""
    grouped: list[list[ToolCall]] = [[] for _ in range(max(turns, 1))]
    for call in calls:
        match = _TURN_ID.match(call.id or "")
        index = int(match.group(1)) if match else len(grouped) - 1
        if index >= len(grouped):
            grouped.extend([] for _ in range(index + 1 - len(grouped)))
        grouped[index].append(call)
    return grouped


def gold_turns(task: Mapping[str, Any]) -> list[list[ToolCall]]:
    """The gold calls per turn as ToolCalls (ids `t<turn>.<i>`), positional arguments named by the tool's
    signature. A gold string that is not a literal call raises ValueError naming the task and turn."""
    env = MultiTurnEnvironment()
    env.reset(task)
    turns = []
    for index, strings in enumerate(task.get("ground_truth") or ()):
        calls = []
        for position, text in enumerate(strings):
            try:
                (parsed,) = parse_python_calls(text)
                arguments = bind_positional(parsed, env.parameters(parsed.name))
            except (CallParseError, ValueError) as exc:
                raise ValueError(f"BFCL task {task.get('id')!r} turn {index}: gold call {text!r}: {exc}") from None
            calls.append(ToolCall(name=parsed.name, arguments=arguments, id=f"t{index}.{position}"))
        turns.append(calls)
    return turns
