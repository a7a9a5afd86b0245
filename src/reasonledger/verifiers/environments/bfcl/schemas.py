"""BFCL's function docs as OpenAI tools: BFCL writes `dict`/`float`/`tuple`/`any` where JSON schema
has `object`/`number`/`array`/`string`, and dots in names, which OpenAI forbids (written `_`; the
check accepts both)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_OPENAI_TYPES = {"dict": "object", "float": "number", "tuple": "array", "any": "string"}


def openai_tool(function: Mapping[str, Any]) -> dict[str, Any]:
    """A BFCL function schema as an OpenAI tool: JSON-schema types, `_` for the dots OpenAI forbids."""
    return {"type": "function", "function": {
        "name": str(function["name"]).replace(".", "_"),
        "description": function.get("description", ""),
        "parameters": _schema(function.get("parameters") or {"type": "dict", "properties": {}})}}


def _schema(value: Any) -> Any:
    if isinstance(value, Mapping):
        converted = {key: _schema(item) for key, item in value.items()}
        if isinstance(value.get("type"), str):
            converted["type"] = _OPENAI_TYPES.get(value["type"], value["type"])
        return converted
    if isinstance(value, list):
        return [_schema(item) for item in value]
    return value
