"""The Arrow schema of a record, and the conversion both ways.

Columns a query engine should see are typed: id, kind, the prompt (text or chat messages), the
reference's answer, domain, source, verifier contract, the behaviour (response, trace, answer,
steps with their labels, rollouts, chosen/rejected, an agent's messages with their tool calls, its
actions as (id, name, ok, error kind, provenance, hashes), termination) and verdicts with score and
passed, so `datasets` or DuckDB filter them without `json.loads`. What has no fixed shape is canonical
JSON text, so no shape is lost and the bytes are deterministic: the whole reference (`reference_json`,
which the record is read back from), tool arguments and observations, judgments, verifier configs,
evidence, sampling and meta.

Older layouts are still read: LAYOUT 1 kept the prompt's messages and the behaviour as JSON text,
LAYOUT 2 the actions as one JSON text (`actions_json`) and messages without tool calls.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa

from reasonledger.records.model import SCHEMA_VERSION, Record, canonical_json

LAYOUT = 3
_SOURCE = pa.struct([
    ("dataset", pa.string()), ("revision", pa.string()), ("row_id", pa.string()),
    ("license", pa.string()), ("split", pa.string()),
])
_VERIFIER = pa.struct([("name", pa.string()), ("version", pa.string()), ("config_json", pa.string())])
_VERDICT = pa.struct([
    ("verifier", pa.string()), ("version", pa.string()), ("config_hash", pa.string()),
    ("target", pa.string()), ("score", pa.float64()), ("passed", pa.bool_()),
    ("label_source", pa.string()), ("evidence_json", pa.string()),
])
_EVENT = pa.struct([
    ("stage", pa.string()), ("step", pa.string()), ("params_hash", pa.string()), ("model", pa.string()),
    ("revision", pa.string()), ("sampling_json", pa.string()), ("seed", pa.int64()),
])
_TOOL_CALL = pa.struct([
    ("id", pa.string()), ("type", pa.string()),
    ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())])),
])
_MESSAGE = pa.struct([
    ("role", pa.string()), ("content", pa.string()), ("tool_calls", pa.list_(_TOOL_CALL)),
    ("tool_call_id", pa.string()), ("name", pa.string()),
])
_ACTION = pa.struct([
    ("id", pa.string()), ("name", pa.string()), ("arguments_json", pa.string()), ("observation_json", pa.string()),
    ("observation_hash", pa.string()), ("ok", pa.bool_()), ("error_kind", pa.string()),
    ("provenance", pa.string()), ("state_hash", pa.string()), ("state_diff_json", pa.string()),
    ("action_json", pa.string()),
])
# action fields kept as canonical JSON text (no fixed shape), under `<name>_json`
_JSON_ACTION = ("arguments", "observation", "state_diff", "action")
_STEP = pa.struct([("text", pa.string()), ("label", pa.float64()), ("label_source", pa.string())])
_ROLLOUT = pa.struct([("response", pa.string()), ("answer", pa.string()), ("meta_json", pa.string())])
# behaviour fields stored as typed text columns under their own names
_TEXT_BEHAVIOUR = ("response", "trace", "answer", "chosen", "rejected")

RECORD_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("kind", pa.string()),
    ("schema_version", pa.int32()),
    ("prompt", pa.string()),
    ("prompt_messages", pa.list_(_MESSAGE)),
    ("reference_answer", pa.string()),
    ("reference_json", pa.string()),
    ("domain", pa.string()),
    ("source", _SOURCE),
    ("verifier", _VERIFIER),
    ("response", pa.string()),
    ("trace", pa.string()),
    ("answer", pa.string()),
    ("steps", pa.list_(_STEP)),
    ("rollouts", pa.list_(_ROLLOUT)),
    ("chosen", pa.string()),
    ("rejected", pa.string()),
    ("actions", pa.list_(_ACTION)),
    ("messages", pa.list_(_MESSAGE)),
    ("termination", pa.string()),
    ("scaffold_json", pa.string()),
    ("judgment_json", pa.string()),
    ("verdicts", pa.list_(_VERDICT)),
    ("parents", pa.list_(pa.string())),
    ("lineage_events", pa.list_(_EVENT)),
    ("meta_json", pa.string()),
], metadata={"reasonledger.layout": str(LAYOUT)})


def _json_or_none(value: Any) -> str | None:
    return None if value is None else canonical_json(value)


def reference_answer(reference: Any) -> str | None:
    """The reference's answer as text, for filtering: the reference itself when it is a text or a
    number, a mapping's scalar `answer`; None when it has no single answer (tests, rubrics)."""
    if isinstance(reference, dict):
        reference = reference.get("answer")
    if reference is None or isinstance(reference, (dict, list)):
        return None
    return reference if isinstance(reference, str) else canonical_json(reference)


def record_to_row(record: Record) -> dict[str, Any]:
    """The row of RECORD_SCHEMA (layout LAYOUT) that holds `record`; written with the current SCHEMA_VERSION."""
    data = record.model_dump(mode="json")
    task, behaviour = data["task"], data["behaviour"]
    prompt = task["prompt"]
    verifier = task.get("verifier")
    rollouts = behaviour["rollouts"]
    return {
        "id": data["id"],
        "kind": data["kind"],
        "schema_version": SCHEMA_VERSION,
        "prompt": prompt if isinstance(prompt, str) else None,
        "prompt_messages": None if isinstance(prompt, str) else prompt,
        "reference_answer": reference_answer(task.get("reference")),
        "reference_json": canonical_json(task.get("reference")),
        "domain": task.get("domain"),
        "source": task["source"],
        "verifier": None if verifier is None else {
            "name": verifier["name"], "version": verifier.get("version"),
            "config_json": canonical_json(verifier.get("config") or {}),
        },
        **{name: behaviour[name] for name in _TEXT_BEHAVIOUR},
        "steps": behaviour["steps"],
        "rollouts": None if rollouts is None else [
            {"response": r["response"], "answer": r["answer"], "meta_json": canonical_json(r["meta"])} for r in rollouts],
        "actions": None if behaviour["actions"] is None else [
            {**{k: v for k, v in action.items() if k not in _JSON_ACTION},
             **{f"{k}_json": _json_or_none(action[k]) for k in _JSON_ACTION}} for action in behaviour["actions"]],
        "messages": behaviour["messages"],
        "termination": behaviour["termination"],
        "scaffold_json": _json_or_none(behaviour["scaffold"]),
        "judgment_json": _json_or_none(behaviour["judgment"]),
        "verdicts": [
            {**{k: v for k, v in verdict.items() if k != "evidence"}, "evidence_json": canonical_json(verdict["evidence"])}
            for verdict in data["verdicts"]
        ],
        "parents": data["lineage"]["parents"],
        "lineage_events": [
            {**{k: v for k, v in event.items() if k != "sampling"}, "sampling_json": _json_or_none(event.get("sampling"))}
            for event in data["lineage"]["events"]
        ],
        "meta_json": canonical_json(data["meta"]),
    }


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _message(message: dict[str, Any]) -> dict[str, Any]:
    calls = message.get("tool_calls")
    if calls is not None:
        message = {**message, "tool_calls": [_drop_none(call) for call in calls]}
    return _drop_none(message)


def _messages(messages: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    return None if messages is None else [_message(m) for m in messages]


def _actions(row: dict[str, Any], loads: Callable[[str], Any]) -> list[dict[str, Any]] | None:
    if "actions_json" in row:  # layout 2
        return None if row["actions_json"] is None else loads(row["actions_json"])
    if row["actions"] is None:
        return None
    return [_drop_none({**{k: v for k, v in action.items() if not k.endswith("_json")},
                        **{k: None if action[f"{k}_json"] is None else loads(action[f"{k}_json"])
                           for k in _JSON_ACTION}})
            for action in row["actions"]]


def _behaviour(row: dict[str, Any], loads: Callable[[str], Any]) -> dict[str, Any]:
    if "behaviour_json" in row:  # layout 1
        return loads(row["behaviour_json"])
    rollouts = row["rollouts"]
    return _drop_none({
        **{name: row[name] for name in _TEXT_BEHAVIOUR},
        "steps": None if row["steps"] is None else [_drop_none(step) for step in row["steps"]],
        "rollouts": None if rollouts is None else [
            {"response": r["response"], "answer": r["answer"], "meta": loads(r["meta_json"] or "{}")} for r in rollouts],
        "actions": _actions(row, loads),
        "messages": _messages(row.get("messages")),
        "termination": row.get("termination"),
        "scaffold": None if row.get("scaffold_json") is None else loads(row["scaffold_json"]),
        "judgment": None if row["judgment_json"] is None else loads(row["judgment_json"]),
    })


def _prompt(row: dict[str, Any], loads: Callable[[str], Any]) -> Any:
    if row["prompt"] is not None:
        return row["prompt"]
    return loads(row["prompt_messages_json"]) if "prompt_messages_json" in row else _messages(row["prompt_messages"])


def row_to_record(row: dict[str, Any], loads: Callable[[str], Any] = json.loads) -> Record:
    """The record a row holds (layout 3; layout 2 with actions as JSON text; layout 1 with JSON prompt
    messages and behaviour);
    `loads` parses its JSON cells (`canonical.loads_row` for untrusted files)."""
    verifier = row.get("verifier")
    task = {
        "prompt": _prompt(row, loads),
        "reference": loads(row["reference_json"]),
        "domain": row.get("domain"),
        "source": _drop_none(row["source"]),
        "verifier": None if verifier is None else _drop_none({
            "name": verifier["name"], "version": verifier.get("version"),
            "config": loads(verifier["config_json"] or "{}"),
        }),
    }
    return Record.model_validate({
        "id": row["id"],
        "kind": row["kind"],
        "schema_version": row["schema_version"],
        "task": task,
        "behaviour": _behaviour(row, loads),
        "verdicts": [
            {**{k: v for k, v in verdict.items() if k != "evidence_json"}, "evidence": loads(verdict["evidence_json"])}
            for verdict in row["verdicts"] or []
        ],
        "lineage": {
            "parents": row["parents"] or [],
            "events": [
                _drop_none({**{k: v for k, v in event.items() if k != "sampling_json"},
                            "sampling": None if event.get("sampling_json") is None else loads(event["sampling_json"])})
                for event in row["lineage_events"] or []
            ],
        },
        "meta": loads(row["meta_json"]),
    })


def records_to_table(records: Iterable[Record]) -> pa.Table:
    return pa.Table.from_pylist([record_to_row(r) for r in records], schema=RECORD_SCHEMA)


def table_to_records(table: pa.Table) -> list[Record]:
    return [row_to_record(row) for row in table.to_pylist()]
