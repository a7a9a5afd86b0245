"""OpenAI-style chats with tool calls, read into what an agent record keeps.

Every importer of agent data passes its conversations through here, so they all hold the same
shape: messages with `tool_calls` ({id, type, function: {name, arguments}}), `tool_call_id` and
`name`; text content (null read as empty; a list of text parts joined); the legacy
`function_call` / `function` role read as one tool call and its `tool` reply. Keys a message has
that the record's Message has no place for are returned apart (by path) for the record's meta.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reasonledger.records.agent import actions_from_messages
from reasonledger.records.model import Action, ErrorKind

_KEYS = {"role", "content", "tool_calls", "tool_call_id", "name", "function_call"}


@dataclass
class ToolChat:
    """A conversation split as a record holds it: the prompt (the turns before the first assistant
    turn), the whole conversation, its actions, and the final assistant text if it ends with one."""

    prompt: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    actions: list[Action]
    response: str | None
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)


def _text(content: Any, where: str) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        return "\n".join(str(p.get("text", "")) for p in content)
    raise ValueError(f"{where}.content is {type(content).__name__}, not text or a list of text parts")


def _call(call: Any, where: str) -> dict[str, Any]:
    if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
        raise ValueError(f"{where} is not a tool call ({{id, type, function: {{name, arguments}}}})")
    function = call["function"]
    if not isinstance(function.get("name"), str):
        raise ValueError(f"{where}.function.name is missing or not text")
    arguments = function.get("arguments", "{}")
    if not isinstance(arguments, (str, dict)):
        raise ValueError(f"{where}.function.arguments is {type(arguments).__name__}, not JSON text or an object")
    return {"id": None if call.get("id") is None else str(call["id"]), "type": "function",
            "function": {"name": function["name"], "arguments": arguments}}


def openai_message(message: Any, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the message as a record keeps it, its other keys)."""
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise ValueError(f"{where} is not a chat message with a text `role`")
    role = message["role"]
    out: dict[str, Any] = {"role": "tool" if role == "function" else role,
                           "content": _text(message.get("content"), where)}
    calls = message.get("tool_calls")
    if calls is not None and not isinstance(calls, list):
        raise ValueError(f"{where}.tool_calls is {type(calls).__name__}, not a list")
    calls = [_call(c, f"{where}.tool_calls.{j}") for j, c in enumerate(calls or [])]
    if message.get("function_call") is not None:
        calls.append(_call({"function": message["function_call"]}, f"{where}.function_call"))
    if calls:
        out["tool_calls"] = calls
    for key in ("tool_call_id", "name"):
        if message.get(key) is not None:
            out[key] = str(message[key])
    return out, {k: v for k, v in message.items() if k not in _KEYS and v is not None}


def read_tool_chat(messages: Any, where: str,
                   classify: Callable[[Any], ErrorKind | None] | None = None) -> ToolChat:
    """Split a tool-call conversation; a ValueError naming the message when it is not one.
    `classify(observation) -> error_kind | None` names recorded failures (see records.agent)."""
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"{where} is not a non-empty list of chat messages")
    read = [openai_message(m, f"{where}.{i}") for i, m in enumerate(messages)]
    cleaned = [m for m, _ in read]
    extras = {f"{where}.{i}": extra for i, (_, extra) in enumerate(read) if extra}
    first = next((i for i, m in enumerate(cleaned) if m["role"] == "assistant"), len(cleaned))
    if not any(m["role"] == "user" for m in cleaned[:first]):
        raise ValueError(f"{where} has no user turn before the first assistant turn")
    last = cleaned[-1]
    response = last["content"] if last["role"] == "assistant" and not last.get("tool_calls") else None
    actions = actions_from_messages(cleaned, classify=classify)
    return ToolChat(cleaned[:first], cleaned, actions, response or None, extras)
