"""Reading function calls out of model output without running any of it.

A model writes calls as JSON (`[{"name": ..., "arguments": {...}}]`, BFCL's `[{name: {...}}]`, or
OpenAI `tool_calls` entries) or as Python call expressions (`[f(a=1), g.h(b='x')]`, BFCL's own form).
Python text is read with `ast.parse` and only literal nodes are accepted (strings, numbers, booleans,
None, lists, tuples, dicts, sets and a sign in front of a number); a name, an attribute, an operator or
a nested call among the arguments is a `CallParseError`. Nothing is passed to eval, exec or compile.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 200_000  # characters of model output read; longer output is refused, not truncated


class CallParseError(ValueError):
    """Model output that is not a call we can read; the message says what was wrong."""


@dataclass(frozen=True)
class ParsedCall:
    """One call: its (possibly dotted) name, positional arguments and keyword arguments, all literals."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def parse_calls(output: Any) -> list[ParsedCall]:
    """Calls from model output: a JSON or Python text, or already-decoded JSON data."""
    if isinstance(output, str):
        text = output.strip()
        if len(text) > MAX_TEXT:
            raise CallParseError(f"model output is {len(text):,} characters; at most {MAX_TEXT:,} are read")
        if text.startswith("```"):
            text = _strip_fence(text)
        if not text:
            return []
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError:
            return parse_python_calls(text)
        return calls_from_json(data)
    return calls_from_json(output)


def parse_python_calls(text: str) -> list[ParsedCall]:
    """`f(a=1)`, `[f(a=1), g(b=2)]` or `(f(), g())` read as calls; anything else is refused."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise CallParseError(f"not a Python call expression: {exc}") from None
    body = tree.body
    nodes = body.elts if isinstance(body, (ast.List, ast.Tuple)) else [body]
    return [_call(node) for node in nodes]


def calls_from_json(data: Any) -> list[ParsedCall]:
    """Decoded JSON calls: one call or a list of them, each `{"name", "arguments"}` (arguments as an
    object or a JSON string), an OpenAI tool call `{"function": {...}}`, or BFCL's `{name: {args}}`."""
    items = data if isinstance(data, list) else [data]
    return [_json_call(item, index) for index, item in enumerate(items)]


def _no_constant(name: str) -> Any:
    raise CallParseError(f"{name} is not a JSON number (only finite numbers are accepted)")


def _json_call(item: Any, index: int) -> ParsedCall:
    if not isinstance(item, Mapping):
        raise CallParseError(f"call {index} is {type(item).__name__}, not an object")
    if isinstance(item.get("function"), Mapping):
        item = item["function"]
    if "name" in item:
        arguments = item.get("arguments", item.get("parameters", {}))
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments, parse_constant=_no_constant) if arguments.strip() else {}
            except json.JSONDecodeError as exc:
                raise CallParseError(f"call {index}: arguments are not JSON: {exc}") from None
        name = item["name"]
    elif len(item) == 1:
        ((name, arguments),) = item.items()
    else:
        raise CallParseError(f"call {index} has no 'name' and is not a one-key {{name: arguments}} object")
    if not isinstance(name, str) or not name:
        raise CallParseError(f"call {index}: the function name must be a non-empty string")
    if not isinstance(arguments, Mapping):
        raise CallParseError(f"call {index} ({name}): arguments must be an object, got {type(arguments).__name__}")
    return ParsedCall(name=name, kwargs=dict(arguments))


def _call(node: ast.AST) -> ParsedCall:
    if not isinstance(node, ast.Call):
        raise CallParseError(f"expected a function call, found {type(node).__name__} at column {node.col_offset}")
    name = _dotted_name(node.func)
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise CallParseError(f"{name}: '**' arguments are not accepted")
        if keyword.arg in kwargs:
            raise CallParseError(f"{name}: argument {keyword.arg!r} given twice")
        kwargs[keyword.arg] = literal(keyword.value, name)
    args = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise CallParseError(f"{name}: '*' arguments are not accepted")
        args.append(literal(arg, name))
    return ParsedCall(name=name, args=tuple(args), kwargs=kwargs)


def _dotted_name(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise CallParseError("the called thing must be a name such as f or math.factorial")
    parts.append(node.id)
    return ".".join(reversed(parts))


def literal(node: ast.AST, where: str = "call") -> Any:
    """The value of a literal node; tuples become lists and sets sorted lists (as JSON would carry them)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (str, int, float, bool)) or node.value is None:
            return node.value
        raise CallParseError(f"{where}: {type(node.value).__name__} literals are not accepted")
    if isinstance(node, (ast.List, ast.Tuple)):
        return [literal(item, where) for item in node.elts]
    if isinstance(node, ast.Set):
        items = [literal(item, where) for item in node.elts]
        try:
            return sorted(items)
        except TypeError:
            raise CallParseError(f"{where}: a set of mixed types is not accepted") from None
    if isinstance(node, ast.Dict):
        result = {}
        for key, value in zip(node.keys, node.values):
            if key is None:
                raise CallParseError(f"{where}: '**' inside a dict is not accepted")
            result[literal(key, where)] = literal(value, where)
        return result
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = literal(node.operand, where)
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    raise CallParseError(f"{where}: only literal values are accepted, found {type(node).__name__} "
                         f"at column {node.col_offset}")


def _strip_fence(text: str) -> str:
    lines = text.splitlines()
    if lines and lines[0].startswith("```"):
        lines = lines[1:]
    if lines and lines[-1].strip() == "```":
        lines = lines[:-1]
    return "\n".join(lines).strip()


def bind_positional(call: ParsedCall, parameters: Sequence[str]) -> dict[str, Any]:
    """Keyword arguments with the positional ones named after `parameters`, in order."""
    if len(call.args) > len(parameters):
        raise CallParseError(f"{call.name}: {len(call.args)} positional arguments, the tool takes at most "
                             f"{len(parameters)}")
    named = dict(zip(parameters, call.args))
    clash = set(named) & set(call.kwargs)
    if clash:
        raise CallParseError(f"{call.name}: argument {sorted(clash)[0]!r} given both by position and by name")
    return {**named, **call.kwargs}
