"""`function_call`: BFCL single-turn tasks (simple, multiple, parallel, parallel-multiple, live).

Nothing runs: a call is only recorded, and `check` compares the calls with the gold answer's allowed
values (`ast_check`). The task payload is BFCL's own entry: `id`, `question`, `function` (the JSON
schemas offered to the model) and `ground_truth` (a list of `{function: {parameter: allowed values}}`).
The calls checked are the recorded tool calls; when there are none, the last thing the model said is
read as calls (JSON or Python call expressions), as BFCL reads prompt-style models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from reasonledger.verifiers.environments.base import Component, Environment, StepResult, ToolCall
from reasonledger.verifiers.environments.bfcl.ast_check import check_calls
from reasonledger.verifiers.environments.bfcl.calls import CallParseError, ParsedCall, parse_calls
from reasonledger.verifiers.environments.bfcl.schemas import openai_tool


class FunctionCallEnvironment(Environment):
    """Records calls to the task's functions; judges them against BFCL's allowed values."""

    id: ClassVar[str] = "function_call"
    version: ClassVar[str] = "1.0.0"

    def __init__(self) -> None:
        self._functions: dict[str, Mapping[str, Any]] = {}
        self._calls: list[dict[str, Any]] = []

    def reset(self, task: Mapping[str, Any], seed: int = 0) -> None:
        functions = task.get("function")
        if not isinstance(functions, list) or not functions:
            raise ValueError(f"BFCL task {task.get('id')!r}: 'function' must be a non-empty list of schemas")
        self._functions = {function["name"]: function for function in functions}
        self._calls = []

    def step(self, call: ToolCall) -> StepResult:
        self._calls.append({"name": call.name, "arguments": dict(call.arguments)})
        schema = self._functions.get(call.name) or self._functions.get(_dotted(call.name, self._functions))
        if schema is None:
            return StepResult(f"Error: unknown function {call.name!r}", ok=False, error_kind="unknown_tool", changed=True)
        properties = (schema.get("parameters") or {}).get("properties") or {}
        unknown = sorted(set(call.arguments) - set(properties))
        if unknown:
            return StepResult(f"Error: {schema['name']} has no parameter {unknown[0]!r}", ok=False,
                              error_kind="bad_arguments", changed=True)
        return StepResult(f"recorded call to {schema['name']}", ok=True, changed=True)

    def state(self) -> Any:
        return {"calls": list(self._calls)}

    def tool_schemas(self) -> list[dict[str, Any]]:
        """The task's functions (after `reset`) as OpenAI tools."""
        return [openai_tool(function) for function in self._functions.values()]

    def check(self, task: Mapping[str, Any], said: Sequence[str], calls: Sequence[ToolCall]) -> list[Component]:
        try:
            parsed = model_calls(said, calls)
        except CallParseError as exc:
            return [Component("calls", False, 0.0, {"error_type": "parse_error", "errors": [str(exc)]})]
        result = check_calls(task["function"], parsed, task["ground_truth"])
        evidence: dict[str, Any] = {"calls": len(parsed), "gold_calls": len(task["ground_truth"])}
        if not result.valid:
            evidence.update(error_type=result.error_type, errors=result.errors)
        return [Component("calls", result.valid, 1.0 if result.valid else 0.0, evidence)]


def model_calls(said: Sequence[str], calls: Sequence[ToolCall]) -> list[ParsedCall]:
    """The calls to judge: the tool calls made, or else those written in the last thing said."""
    if calls:
        return [ParsedCall(name=call.name, kwargs=dict(call.arguments)) for call in calls]
    last = next((text for text in reversed(said) if text and text.strip()), "")
    return parse_calls(last)


def _dotted(name: str, functions: Mapping[str, Any]) -> str:
    """The dotted function a `_`-for-`.` spelling stands for, when exactly one does."""
    matches = [known for known in functions if known.replace(".", "_") == name]
    return matches[0] if len(matches) == 1 else ""
