"""The Arrow schema of a record, and the conversion both ways.

Columns that a query engine should see (id, kind, prompt, domain, source, verifier contract,
verdicts with score and passed) are typed; free-form JSON (reference, behaviour, evidence, meta)
is stored as canonical JSON strings so no shape is lost and the bytes are deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa

from reasonledger.records.model import Record, canonical_json

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

RECORD_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("kind", pa.string()),
    ("schema_version", pa.int32()),
    ("prompt", pa.string()),
    ("prompt_messages_json", pa.string()),
    ("reference_json", pa.string()),
    ("domain", pa.string()),
    ("source", _SOURCE),
    ("verifier", _VERIFIER),
    ("behaviour_json", pa.string()),
    ("verdicts", pa.list_(_VERDICT)),
    ("parents", pa.list_(pa.string())),
    ("lineage_events", pa.list_(_EVENT)),
    ("meta_json", pa.string()),
])


def _json_or_none(value: Any) -> str | None:
    return None if value is None else canonical_json(value)


def record_to_row(record: Record) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    task = data["task"]
    prompt = task["prompt"]
    verifier = task.get("verifier")
    return {
        "id": data["id"],
        "kind": data["kind"],
        "schema_version": data["schema_version"],
        "prompt": prompt if isinstance(prompt, str) else None,
        "prompt_messages_json": None if isinstance(prompt, str) else canonical_json(prompt),
        "reference_json": canonical_json(task.get("reference")),
        "domain": task.get("domain"),
        "source": task["source"],
        "verifier": None if verifier is None else {
            "name": verifier["name"], "version": verifier.get("version"),
            "config_json": canonical_json(verifier.get("config") or {}),
        },
        "behaviour_json": canonical_json({k: v for k, v in data["behaviour"].items() if v is not None}),
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


def row_to_record(row: dict[str, Any], loads: Callable[[str], Any] = json.loads) -> Record:
    """The record a row holds; `loads` parses its JSON cells (`canonical.loads_row` for untrusted files)."""
    prompt = row["prompt"] if row["prompt"] is not None else loads(row["prompt_messages_json"])
    verifier = row.get("verifier")
    task = {
        "prompt": prompt,
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
        "behaviour": loads(row["behaviour_json"]),
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
