"""BFCL's single-turn check: does each call name the right function with values from the allowed lists?

The rules follow BFCL's AST checker (gorilla, `bfcl_eval/eval_checker/ast_eval/ast_checker.py`), for
Python function schemas:

- the function name must be the gold one (a dotted name may also be written with `_` for the dots,
  as BFCL allows for models whose APIs forbid dots, unless that spelling names another function);
- every parameter the schema requires must be present, and every parameter given must be both in the
  schema and in the gold answer (BFCL: "unexpected parameter");
- types: `integer`, `float`, `string`, `boolean`, `array`/`tuple` (a list), `dict`, `any` (a string);
  an int is accepted where a float is expected; items of an array are type-checked one level deep; a
  value whose type is the gold's rather than the schema's is accepted (BFCL's "variable" case);
- values: a string matches after removing spaces and `,./-_*^`, lower-casing and turning `'` into `"`
  (so "April 1, 2024" equals "april 1 2024"); list items and dict values that are strings likewise;
  a dict matches one allowed dict key by key (a key whose allowed list holds "" may be left out); a list
  of dicts matches an allowed list of dicts position by position; anything else by equality;
- a gold parameter left out passes only if its allowed list holds "".

Decided here (the first as BFCL does, the others not):

- `""` in an allowed list marks the parameter as optional: it may be left out. It is a marker, not a
  value: writing `param=""` passes only where the schema type is string, as in BFCL.
- Arguments must be named: a positional argument fails the call (BFCL's decoder silently drops them).
- An empty allowed list (`[]`) would make every answer wrong in BFCL (no value is in it and leaving the
  parameter out is not allowed). In BFCL's data it appears only on `array` parameters whose intended
  value is the empty list (live_simple 106-63-0 and 112-68-0: categories that should receive no
  queries), so for `array`/`tuple` parameters `[]` is read as "the value must be the empty list"; for
  any other type it is a `GoldError` naming the entry and parameter.
- Parallel calls are matched as a bipartite matching (each gold call to a distinct model call), not
  greedily in gold order as BFCL does, so an answer that has a valid pairing always passes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reasonledger.verifiers.environments.bfcl.calls import ParsedCall

PYTHON_TYPES: dict[str, type] = {
    "string": str, "integer": int, "float": float, "boolean": bool,
    "array": list, "tuple": list, "dict": dict, "any": str,
}
ARRAY_TYPES = ("array", "tuple")
_PUNCTUATION = re.compile(r"[ ,./\-_*^]")


class GoldError(ValueError):
    """A gold answer or schema that cannot be checked against (the message names the parameter)."""


@dataclass
class CheckResult:
    """Whether the calls pass, and if not the first reason (BFCL's error type and a message)."""

    valid: bool
    error_type: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def fail(cls, error_type: str, message: str) -> "CheckResult":
        return cls(False, error_type, [message])


OK = CheckResult(True)


def standardize(text: str) -> str:
    """BFCL's string normalisation: no spaces or `,./-_*^`, lower case, `'` as `"`."""
    return _PUNCTUATION.sub("", text).lower().replace("'", '"')


def check_calls(functions: Sequence[Mapping[str, Any]], calls: Sequence[ParsedCall],
                gold: Sequence[Mapping[str, Mapping[str, list]]]) -> CheckResult:
    """Check model calls against the gold calls: the same number, and a one-to-one pairing in which
    every pair passes `check_call` (so order does not matter; one gold call picks one function)."""
    if len(calls) != len(gold):
        return CheckResult.fail("wrong_count", f"expected {len(gold)} call(s), got {len(calls)}")
    schemas = {function["name"]: function for function in functions}
    results: dict[tuple[int, int], CheckResult] = {}
    for i, gold_call in enumerate(gold):
        ((name, allowed),) = gold_call.items()
        if name not in schemas:
            raise GoldError(f"gold function {name!r} is not among the task's functions")
        for j, call in enumerate(calls):
            results[i, j] = check_call(schemas[name], call, allowed, list(schemas))
    pairing = _match(len(gold), len(calls), lambda i, j: results[i, j].valid)
    if pairing is not None:
        return OK
    # name the first gold call that no model call satisfies, with the reason from its best candidate
    for i in range(len(gold)):
        if not any(results[i, j].valid for j in range(len(calls))):
            reasons = [results[i, j] for j in range(len(calls))]
            first = next((r for r in reasons if r.error_type != "wrong_func_name"), reasons[0])
            return CheckResult(False, first.error_type, [f"gold call {i}: {message}" for message in first.errors])
    return CheckResult.fail("cannot_match", "each gold call has a passing model call, but no one-to-one pairing")


def _match(left: int, right: int, ok) -> dict[int, int] | None:
    """A perfect matching of left to right nodes where `ok(i, j)` (augmenting paths; sizes are small)."""
    owner: dict[int, int] = {}

    def place(i: int, seen: set[int]) -> bool:
        for j in range(right):
            if j in seen or not ok(i, j):
                continue
            seen.add(j)
            if j not in owner or place(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(left):
        if not place(i, set()):
            return None
    return {i: j for j, i in owner.items()}


def check_call(schema: Mapping[str, Any], call: ParsedCall, allowed: Mapping[str, list],
               all_names: Sequence[str] = ()) -> CheckResult:
    """One model call against one gold call (`allowed`: parameter -> allowed values) and its schema."""
    name = schema["name"]
    underscored = name.replace(".", "_")
    if call.name != name and not (call.name == underscored and underscored not in all_names):
        return CheckResult.fail("wrong_func_name", f"expected function {name!r}, got {call.name!r}")
    if call.args:
        return CheckResult.fail("positional_args", f"{name}: arguments must be named, got {len(call.args)} by position")
    parameters = schema.get("parameters") or {}
    properties = parameters.get("properties") or {}
    given = call.kwargs
    for required in parameters.get("required") or ():
        if required not in given:
            return CheckResult.fail("missing_required", f"missing required parameter {required!r}")
    for param, value in given.items():
        if param not in properties or param not in allowed:
            return CheckResult.fail("unexpected_param", f"unexpected parameter {param!r}")
        result = check_value(param, value, properties[param], allowed_values(param, allowed[param], properties[param]))
        if not result.valid:
            return result
    for param, values in allowed.items():
        if param not in given and "" not in values:
            return CheckResult.fail("missing_optional", f"parameter {param!r} left out but not marked optional")
    return OK


def allowed_values(param: str, values: list, spec: Mapping[str, Any]) -> list:
    """The allowed list, with the empty-list case decided (see the module docstring)."""
    if values:
        return values
    if spec.get("type") in ARRAY_TYPES:
        return [[]]
    raise GoldError(f"parameter {param!r} has an empty allowed list and type {spec.get('type')!r}: no value could pass")


def check_value(param: str, value: Any, spec: Mapping[str, Any], allowed: list) -> CheckResult:
    """One value against its schema entry and its allowed values."""
    kind = spec.get("type", "any")
    expected = PYTHON_TYPES.get(kind)
    if expected is None:
        raise GoldError(f"parameter {param!r}: schema type {kind!r} is not a Python BFCL type")
    item_type = None
    if kind in ARRAY_TYPES:
        item_kind = (spec.get("items") or {}).get("type")
        item_type = PYTHON_TYPES.get(item_kind) if item_kind else None
    if kind == "float" and type(value) is int:
        value = float(value)
    typed = _type_check(param, value, kind, expected, item_type, allowed)
    if not typed.valid:
        return typed
    if _is_variable(expected, allowed):
        return _in(param, value, allowed)
    if expected is dict:
        return _dict_in(param, value, allowed)
    if expected is list and item_type is dict:
        return _dict_list_in(param, value, allowed)
    if expected is str:
        wanted = [standardize(option) for option in allowed if type(option) is str]
        if standardize(value) in wanted:
            return OK
        return CheckResult.fail("value_error:string", f"invalid value for {param!r}: {value!r}, expected one of {allowed}")
    if expected is list:
        shown = [_std_item(item) for item in value]
        options = [[_std_item(item) for item in option] for option in allowed if isinstance(option, list)]
        if shown in options:
            return OK
        return CheckResult.fail("value_error:list", f"invalid value for {param!r}: {value!r}, expected one of {allowed}")
    return _in(param, value, allowed)


def _std_item(item: Any) -> Any:
    return standardize(item) if type(item) is str else item


def _gold_type(allowed: list) -> type | None:
    return next((type(option) for option in allowed if option != ""), None)


def _is_variable(expected: type, allowed: list) -> bool:
    """BFCL's 'variable' case: the gold values are of another type than the schema's (a variable name
    written as a string), so the value is compared as it is."""
    gold_type = _gold_type(allowed)
    return gold_type is not None and gold_type is not expected


def _type_check(param: str, value: Any, kind: str, expected: type, item_type: type | None, allowed: list) -> CheckResult:
    if type(value) is expected:
        if item_type is None:
            return OK
        for option in allowed:
            if isinstance(option, list) and all(_item_type_ok(item, item_type, option) for item in value):
                return OK
        return CheckResult.fail("type_error:nested", f"items of {param!r} are not all of type {item_type.__name__}: {value!r}")
    gold_type = _gold_type(allowed)
    if gold_type is not None and type(value) is gold_type:
        return OK
    return CheckResult.fail("type_error:simple", f"parameter {param!r} should be {kind}, got {type(value).__name__}: {value!r}")


def _item_type_ok(item: Any, item_type: type, option: list) -> bool:
    if type(item) is item_type:
        return True
    gold_type = _gold_type(option)
    return gold_type is not None and type(item) is gold_type


def _in(param: str, value: Any, allowed: list) -> CheckResult:
    if any(type(value) is type(option) or {type(value), type(option)} <= {int, float} for option in allowed
           if value == option):
        return OK
    return CheckResult.fail("value_error:others", f"invalid value for {param!r}: {value!r}, expected one of {allowed}")


def _dict_in(param: str, value: dict, allowed: list) -> CheckResult:
    last = CheckResult.fail("value_error:dict", f"no allowed dict for {param!r}")
    for option in allowed:
        if option == "":
            continue
        if not isinstance(option, Mapping):
            continue
        last = _dict_matches(param, value, option)
        if last.valid:
            return OK
    return last


def _dict_matches(param: str, value: Mapping, option: Mapping) -> CheckResult:
    for key, item in value.items():
        if key not in option:
            return CheckResult.fail("value_error:dict_key", f"{param!r}: unexpected key {key!r}")
        wanted = [_std_item(choice) for choice in option[key]]
        if _std_item(item) not in wanted:
            return CheckResult.fail("value_error:dict_value", f"{param!r}: invalid value for key {key!r}: {item!r}")
    for key, choices in option.items():
        if key not in value and "" not in choices:
            return CheckResult.fail("value_error:dict_key", f"{param!r}: missing key {key!r}")
    return OK


def _dict_list_in(param: str, value: list, allowed: list) -> CheckResult:
    last = CheckResult.fail("value_error:list_dict", f"no allowed list of dicts for {param!r}")
    for option in allowed:
        if not isinstance(option, list):
            continue
        if len(option) != len(value):
            last = CheckResult.fail("value_error:list_dict_count", f"{param!r}: {len(value)} dicts, expected {len(option)}")
            continue
        results = [_dict_matches(param, item, choice) if isinstance(item, Mapping) and isinstance(choice, Mapping)
                   else CheckResult.fail("type_error:nested", f"{param!r}: items must be dicts")
                   for item, choice in zip(value, option)]
        failed = next((result for result in results if not result.valid), None)
        if failed is None:
            return OK
        last = failed
    return last


def gold_answer(functions: Sequence[Mapping[str, Any]], gold: Sequence[Mapping[str, Mapping[str, list]]]) -> list[ParsedCall]:
    """One answer the gold allows: each parameter's first allowed value (inside dicts too), an optional
    one (`""` in its list) left out when it has no other value or is not in the schema (BFCL's gold
    sometimes lists an optional parameter the schema lacks). Used to import gold answers as behaviour."""
    schemas = {function["name"]: function for function in functions}
    calls = []
    for gold_call in gold:
        ((name, allowed),) = gold_call.items()
        properties = ((schemas.get(name) or {}).get("parameters") or {}).get("properties") or {}
        kwargs = {}
        for param, values in allowed.items():
            spec = properties.get(param)
            if spec is None:
                if "" not in values:
                    raise GoldError(f"gold parameter {param!r} of {name!r} is not in the schema and not optional")
                continue
            chosen = _first(allowed_values(param, values, spec))
            if chosen is not _OMIT:
                kwargs[param] = _instantiate(chosen, spec)
        calls.append(ParsedCall(name=name, kwargs=kwargs))
    return calls


_OMIT = object()


def _first(values: list) -> Any:
    return next((value for value in values if value != ""), _OMIT)


def _instantiate(value: Any, spec: Mapping[str, Any]) -> Any:
    """An allowed dict is {key: allowed values}: pick each key's first value (leaving optional keys out)."""
    item_kind = (spec.get("items") or {}).get("type")
    if isinstance(value, Mapping) and spec.get("type") == "dict":
        return _pick_dict(value)
    if isinstance(value, list) and spec.get("type") in ARRAY_TYPES and item_kind == "dict":
        return [_pick_dict(item) if isinstance(item, Mapping) else item for item in value]
    return value


def _pick_dict(option: Mapping[str, list]) -> dict[str, Any]:
    picked = {}
    for key, choices in option.items():
        first = _first(choices)
        if first is not _OMIT:
            picked[key] = first
    return picked
