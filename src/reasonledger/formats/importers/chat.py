"""Chat `messages` split into what a record holds apart: the prompt, and what the model did.

A plain chat ends at the last user turn: the turns before it (system, user, and in a multi-turn
chat the earlier assistant turns the user answered) are the prompt, the assistant turn after it is
the response; the reply never stays inside the prompt. An OpenAI tool-call chat is a trajectory:
the system and user turns before the first assistant turn are the prompt, the whole conversation
is kept as the record's messages, and each tool call, paired with the `tool` message that answered
it, is an action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reasonledger.formats.importers.tool_chat import read_tool_chat
from reasonledger.records.model import Action

_MESSAGE_KEYS = {"role", "content"}


def is_chat(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(m, dict) and "role" in m for m in value)


@dataclass
class Split:
    prompt: list[dict[str, str]]
    response: str | None = None
    actions: list[Action] | None = None
    # Keys of messages that the record's Message has no place for (`name`, `weight`), by path.
    extras: dict[str, dict[str, Any]] = field(default_factory=dict)
    # a tool-call chat's whole conversation
    messages: list[dict[str, Any]] | None = None


def _prompt(messages: list[dict[str, Any]], path: str) -> tuple[list[dict[str, str]], dict[str, dict[str, Any]]]:
    prompt, extras = [], {}
    for i, message in enumerate(messages):
        if not isinstance(message.get("content"), str):
            raise ValueError(f"{path}.{i}.content is {type(message.get('content')).__name__}, not text; "
                             "only text turns can be a prompt")
        prompt.append({"role": str(message["role"]), "content": message["content"]})
        if set(message) - _MESSAGE_KEYS:
            extras[f"{path}.{i}"] = {k: v for k, v in message.items() if k not in _MESSAGE_KEYS}
    return prompt, extras


def _has_tools(message: dict[str, Any]) -> bool:
    return message.get("role") == "tool" or bool(message.get("tool_calls")) or "function_call" in message


def split_chat(messages: list[dict[str, Any]], path: str) -> Split:
    """Prompt up to and including the last user turn; the one assistant turn after it is the response."""
    if any(_has_tools(m) for m in messages):
        raise ValueError(f"{path} holds tool calls; import it with --format openai-tools to keep them as actions")
    users = [i for i, m in enumerate(messages) if m["role"] == "user"]
    if not users:
        raise ValueError(f"{path} has no user turn to end the prompt at")
    prompt, extras = _prompt(messages[:users[-1] + 1], path)
    replies = messages[users[-1] + 1:]
    if not replies:
        return Split(prompt, extras=extras)
    if len(replies) > 1 or replies[0]["role"] != "assistant" or not isinstance(replies[0].get("content"), str):
        raise ValueError(f"{path}: after the last user turn expected one assistant text turn, got "
                         f"{[m['role'] for m in replies]}")
    if set(replies[0]) - _MESSAGE_KEYS:
        extras[f"{path}.{users[-1] + 1}"] = {k: v for k, v in replies[0].items() if k not in _MESSAGE_KEYS}
    return Split(prompt, replies[0]["content"], extras=extras)


def split_tool_chat(messages: list[dict[str, Any]], path: str) -> Split:
    """Prompt before the first assistant turn; the whole conversation and each tool call (paired with
    its reply) as the record's messages and actions (see importers.tool_chat); the response is the
    final assistant text, if the chat ends with one."""
    chat = read_tool_chat(messages, path)
    return Split(chat.prompt, chat.response, chat.actions, chat.extras, chat.messages)
