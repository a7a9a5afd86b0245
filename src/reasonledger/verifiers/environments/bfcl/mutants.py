"""Gold answers with one known defect: what each BFCL predicate must catch.

Single-turn mutants change one call of a gold answer in one way (the function renamed, a required
argument dropped, a value outside its allowed list, an argument the gold does not expect). Multi-turn
mutants drop one gold call. Each comes with a label, so they also serve as labelled failures.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.bfcl.ast_check import allowed_values, gold_answer, standardize
from reasonledger.verifiers.environments.bfcl.calls import ParsedCall

UNEXPECTED = "unexpected_argument_x"


@dataclass(frozen=True)
class Mutant:
    kind: str  # renamed_function | dropped_required | wrong_value | unexpected_argument | dropped_call
    where: str
    calls: Any  # list[ParsedCall] (single turn) or list[list[ToolCall]] (multi turn)


def single_turn_mutants(task: Mapping[str, Any]) -> Iterator[Mutant]:
    """Every simple mutant of the task's gold answer (`gold_answer`)."""
    functions = task["function"]
    schemas = {function["name"]: function for function in functions}
    gold = gold_answer(functions, task["ground_truth"])
    for index, call in enumerate(gold):
        allowed = next(iter(task["ground_truth"][index].values()))
        parameters = schemas[call.name].get("parameters") or {}
        properties = parameters.get("properties") or {}

        def swap(new_call: ParsedCall, index: int = index) -> list[ParsedCall]:
            return [new_call if i == index else other for i, other in enumerate(gold)]

        yield Mutant("renamed_function", f"{call.name}", swap(replace(call, name=call.name + "_renamed")))
        for required in parameters.get("required") or ():
            if required in call.kwargs:
                kwargs = {key: value for key, value in call.kwargs.items() if key != required}
                yield Mutant("dropped_required", f"{call.name}.{required}", swap(replace(call, kwargs=kwargs)))
        for param, value in call.kwargs.items():
            wrong = wrong_value(value, allowed_values(param, allowed[param], properties[param]))
            if wrong is not _NONE:
                kwargs = {**call.kwargs, param: wrong}
                yield Mutant("wrong_value", f"{call.name}.{param}", swap(replace(call, kwargs=kwargs)))
        yield Mutant("unexpected_argument", f"{call.name}.{UNEXPECTED}",
                     swap(replace(call, kwargs={**call.kwargs, UNEXPECTED: 1})))


_NONE = object()


def wrong_value(value: Any, allowed: Sequence[Any]) -> Any:
    """A value of the same type as `value` that no allowed value equals, even after BFCL's string
    normalisation (or `_NONE` when none is found, e.g. a boolean whose both values are allowed)."""
    for candidate in _candidates(value):
        if not any(_same(candidate, option) for option in allowed):
            return candidate
    return _NONE


def _candidates(value: Any) -> list[Any]:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 7919, value - 7919]
    if isinstance(value, float):
        return [value + 7919.5, value - 7919.5]
    if isinstance(value, str):
        return [value + " zq wrong", "zq wrong"]
    if isinstance(value, list):
        return [value + [copy.deepcopy(value[-1])] if value else ["zq wrong"], value[:-1] if value else [7919]]
    if isinstance(value, dict):
        return [{**value, "zq_wrong_key": "zq"}]
    return []


def _same(candidate: Any, option: Any) -> bool:
    if isinstance(candidate, str) and isinstance(option, str):
        return standardize(candidate) == standardize(option)
    if isinstance(option, dict) and isinstance(candidate, dict):
        return set(candidate) <= set(option)
    return candidate == option


def drop_one_mutants(turns: Sequence[Sequence[ToolCall]]) -> Iterator[Mutant]:
    """The gold call sequence with one call removed, for every call."""
    for turn, calls in enumerate(turns):
        for position, call in enumerate(calls):
            kept = [list(group) if i != turn else [c for j, c in enumerate(group) if j != position]
                    for i, group in enumerate(turns)]
            yield Mutant("dropped_call", f"turn {turn} call {position} ({call.name})", kept)
