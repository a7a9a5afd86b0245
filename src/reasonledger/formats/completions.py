"""A trainer's completion read as the conversation the environment verifier replays.

TRL hands chat completions as message lists (assistant turns with `tool_calls`, `tool` turns with
what came back). verl hands the decoded text, in which chat templates of the Hermes family (Qwen
2.5 and 3, Hermes; verl's default `hermes` tool parser) write each call as
`<tool_call>{"name": ..., "arguments": {...}}</tool_call>` and each result as
`<tool_response>...</tool_response>`. Text that already is a JSON conversation (a list of messages,
or an object with `messages`/`actions`) is passed on as it is. Calls are only parsed as JSON, never
evaluated: a call that does not parse reaches the environment as a call to no tool.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reasonledger.records.model import canonical_json

_TAGS = re.compile(r"<tool_call>(.*?)</tool_call>|<tool_response>(.*?)</tool_response>", re.DOTALL)


def _hermes_call(text: str, index: int) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return {"id": f"call_{index}", "type": "function", "function": {"name": "", "arguments": text.strip()}}
    arguments = value.get("arguments", value.get("parameters", {}))
    return {"id": f"call_{index}", "type": "function",
            "function": {"name": value["name"], "arguments": arguments if isinstance(arguments, (dict, str)) else {}}}


def hermes_messages(text: str) -> list[dict[str, Any]]:
    """The turns of a decoded completion written with Hermes-style tool tags: assistant text and
    calls, then each `<tool_response>` as the reply to the oldest call not yet answered."""
    messages: list[dict[str, Any]] = []
    current: dict[str, Any] = {"role": "assistant", "content": "", "tool_calls": []}
    open_calls: list[str] = []
    calls = 0
    position = 0
    for match in _TAGS.finditer(text):
        current["content"] += text[position:match.start()]
        position = match.end()
        if match.group(1) is not None:
            call = _hermes_call(match.group(1), calls)
            calls += 1
            current["tool_calls"].append(call)
            open_calls.append(call["id"])
            continue
        if current["content"].strip() or current["tool_calls"]:
            messages.append(current)
        current = {"role": "assistant", "content": "", "tool_calls": []}
        reply: dict[str, Any] = {"role": "tool", "content": match.group(2).strip()}
        if open_calls:
            reply["tool_call_id"] = open_calls.pop(0)
        messages.append(reply)
    current["content"] += text[position:]
    if current["content"].strip() or current["tool_calls"]:
        messages.append(current)
    for message in messages:
        if message["role"] == "assistant":
            message["content"] = message["content"].strip()
            if not message["tool_calls"]:
                del message["tool_calls"]
    return [m for m in messages if m["role"] != "tool" or "tool_call_id" in m]


def episode_response(completion: Any) -> str:
    """The completion as the environment verifier's response text: a JSON conversation."""
    if isinstance(completion, list):
        return canonical_json({"messages": [m for m in completion if isinstance(m, dict)]})
    text = "" if completion is None else str(completion)
    if text.lstrip().startswith(("[", "{")):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, list) or (isinstance(value, dict) and ({"messages", "actions"} & set(value))):
            return text
    return canonical_json({"messages": hermes_messages(text)})
