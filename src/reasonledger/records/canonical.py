"""What may be stored as a record's JSON: finite numbers, valid Unicode, unique keys, bounded depth.

A value that JSON cannot carry (NaN, Infinity, a lone surrogate) would be hashed one way and
stored another, so the record's id would no longer match its content when read back; it is
refused with the path to the offending value instead. Input rows are parsed strictly too: a
repeated key is reported rather than silently resolved (the last one would win).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic import BaseModel

# Deeper rows are refused at parse time: every later serialisation recurses, and a row that only
# just fits the interpreter's recursion limit would fail later, far from its file and line.
MAX_DEPTH = 100
_LONE_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class DuplicateKeyError(ValueError):
    """An input object names the same key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(f"duplicate key {key!r}")
            seen.add(key)
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def loads_row(text: str) -> Any:
    """Parse one input row: ValueError (with a reason fit for the quarantine) for a repeated key,
    nesting deeper than MAX_DEPTH or a lone surrogate; json.JSONDecodeError for bad JSON."""
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep") from None
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
    if "\\u" in text and _LONE_SURROGATE_ESCAPE.search(text):
        where = problem(value)
        if where:
            raise ValueError(where)
    return value


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            stack.extend((child, depth + 1) for child in node)
    return deepest


def has_non_finite(value: Any) -> bool:
    """Whether a NaN or Infinity hides anywhere in `value`: the quick test `problem` then explains.
    Strings are not looked at: text from JSON input is checked at parse time, Arrow's is valid UTF-8."""
    stack = [value]
    while stack:
        node = stack.pop()
        kind = node.__class__
        if kind is dict:
            stack.extend(node.values())
        elif kind is list or kind is tuple:
            stack.extend(node)
        elif isinstance(node, float):
            if node - node != 0.0:  # true for NaN and both infinities only
                return True
        elif kind is not str and isinstance(node, (dict, list, tuple)):
            stack.extend(node.values() if isinstance(node, dict) else node)
    return False


def problem(value: Any, where: str = "") -> str | None:
    """`path: what is wrong` for the first value JSON cannot carry faithfully (a non-finite
    number, a string that is not valid Unicode), or None. Iterative: any depth is safe."""
    stack = [(where, value)]
    while stack:
        path, node = stack.pop()
        kind = node.__class__
        if kind is str:
            if not node.isascii():
                try:
                    node.encode("utf-8")
                except UnicodeEncodeError as exc:
                    char = node[exc.start]
                    return (f"{path or 'value'}: holds a lone surrogate \\u{ord(char):04x}, which is not valid Unicode; "
                            "fix the text (or its escaping) at the source")
        elif isinstance(node, float):
            if not math.isfinite(node):
                return (f"{path or 'value'}: {node!r} is not a finite number and has no JSON form; "
                        "store null or a string instead")
        elif isinstance(node, dict):
            for key, child in node.items():
                stack.append((_join(path, key), child))
                if key.__class__ is str and not key.isascii():
                    stack.append((f"{path} (a key)" if path else "a key", key))
        elif isinstance(node, (list, tuple)):
            stack.extend((_join(path, i), child) for i, child in enumerate(node))
        elif isinstance(node, BaseModel):
            stack.extend((_join(path, key), child) for key, child in node.__dict__.items())
    return None


def _join(path: str, key: object) -> str:
    """`path.key`, with a key that is not valid Unicode written escaped so the reason can be stored."""
    name = str(key)
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            name = ascii(name)
    return f"{path}.{name}" if path else name
