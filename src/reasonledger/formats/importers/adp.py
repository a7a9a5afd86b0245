"""The Agent Data Protocol (neulab/agent-data-protocol): standardized trajectories as tool trajectories.

An ADP trajectory is `{id, content, details}` where `content` alternates actions (`api_action`:
function + kwargs; `code_action`: language + code; `message_action`: text to the user) and
observations (`text_observation` from the user, the environment or the system; `web_observation`).
It becomes an OpenAI-style conversation: an api or code action is an assistant tool call
(`<function>`, or `execute_<language>` with `{"code": ...}`) with its `description` as the turn's
text, and the observation that follows it (or names its `tool_call_id`) is the tool's reply. Per-step
rewards, reasoning and descriptions of message actions are kept in meta by content index. ADP has no
environment to replay, so records carry no verifier; `details` is kept in meta.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.formats.importers._common import json_rows
from reasonledger.formats.importers.fields import unmapped
from reasonledger.formats.importers.tool_chat import read_tool_chat
from reasonledger.records.jsonl import parse_rows
from reasonledger.records.model import Kind, Record, canonical_json
from reasonledger.records.parquet import parquet_rows
from reasonledger.records.quarantine import BadRow

_ROLES = {"user": "user", "environment": "user", "system": "system", "assistant": "assistant", "agent": "assistant"}
# per-item fields that have no place in an OpenAI message: kept in meta by content index
_KEPT = ("reward", "reasoning_content")


def _tool_call(item: dict[str, Any], index: int) -> dict[str, Any]:
    call_id = item.get("tool_call_id") or f"call_{index}"
    if item["class_"] == "api_action":
        if not isinstance(item.get("kwargs", {}), dict):
            raise ValueError(f"content.{index}.kwargs is not an object")
        function = {"name": item["function"], "arguments": item.get("kwargs") or {}}
    else:
        function = {"name": f"execute_{item['language']}", "arguments": {"code": item["content"]}}
    return {"id": call_id, "type": "function", "function": function}


def _observation_text(item: dict[str, Any], index: int) -> str:
    if item["class_"] == "text_observation":
        return item["content"]
    if item["class_"] == "web_observation":
        return canonical_json({k: item.get(k) for k in ("url", "axtree", "html") if item.get(k) is not None})
    raise ValueError(f"content.{index} is a {item['class_']}: records keep text observations only")


def adp_messages(content: Any) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The conversation an ADP `content` list is, and what each item kept beside it (by index)."""
    if not isinstance(content, list) or not content:
        raise ValueError("content is not a non-empty list of actions and observations")
    messages: list[dict[str, Any]] = []
    kept: dict[str, dict[str, Any]] = {}
    pending: list[str] = []  # ids of tool calls not yet answered
    for index, item in enumerate(content):
        if not isinstance(item, dict) or not isinstance(item.get("class_"), str):
            raise ValueError(f"content.{index} has no `class_`")
        extra = {k: item[k] for k in _KEPT if item.get(k) is not None}
        kind = item["class_"]
        if kind in ("api_action", "code_action"):
            call = _tool_call(item, index)
            messages.append({"role": "assistant", "content": item.get("description") or "", "tool_calls": [call]})
            pending.append(call["id"])
        elif kind == "message_action":
            messages.append({"role": "assistant", "content": item["content"]})
            if item.get("description"):
                extra["description"] = item["description"]
        elif kind.endswith("_observation"):
            text = _observation_text(item, index)
            follows = messages[-1]["tool_calls"][0]["id"] if messages and messages[-1].get("tool_calls") else None
            answers = item.get("tool_call_id") or follows
            if answers is not None:
                if answers not in pending:
                    raise ValueError(f"content.{index} answers tool call {answers!r}, which is not open")
                pending.remove(answers)
                messages.append({"role": "tool", "tool_call_id": answers, "content": text})
            else:
                source = item.get("source", "user")
                if source not in _ROLES:
                    raise ValueError(f"content.{index}.source {source!r} is not one of {', '.join(_ROLES)}")
                messages.append({"role": _ROLES[source], "content": text})
        else:
            raise ValueError(f"content.{index}: unknown class_ {kind!r}")
        if extra:
            kept[f"content.{index}"] = extra
    return messages, kept


def read_adp(path: Path, dataset: str | None = None, license: str | None = None,
             split: str | None = None, revision: str | None = None) -> Iterator[Record | BadRow]:
    """Tool trajectories from ADP standardized trajectories (a JSON array, JSONL or Parquet)."""
    rows = parquet_rows(path) if path.suffix == ".parquet" else json_rows(path)

    def convert(row: dict[str, Any], number: int) -> Record:
        messages, kept = adp_messages(row["content"])
        chat = read_tool_chat(messages, "content")
        details = row.get("details") or {}
        return Record(
            kind=Kind.tool_trajectory,
            task={"prompt": chat.prompt,
                  "source": {"dataset": dataset or str(details.get("dataset") or path.stem), "license": license,
                             "split": split, "revision": revision, "row_id": str(row.get("id", number - 1))}},
            behaviour={"messages": chat.messages, "actions": chat.actions, "response": chat.response},
            lineage={"events": [{"stage": "import", "step": "adp",
                                 "model": details.get("model_name") if isinstance(details.get("model_name"), str) else None}]},
            meta={**unmapped(row, ["content"]), **({"content_extras": kept} if kept else {})},
        )

    yield from parse_rows(rows, str(path), convert)
