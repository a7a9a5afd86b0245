"""Generic JSONL/Parquet with a field mapping, and reasonledger's own envelope.

The mapping keeps what the file says: a list of responses is a rollout_set (one rollout each, with
per-rollout labels as stored verdicts), chat `messages` are split so the reply never sits in the
prompt, and every field no mapping names is kept in the record's meta.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from reasonledger.formats.importers._common import json_rows
from reasonledger.formats.importers.chat import Split, is_chat, split_chat, split_tool_chat
from reasonledger.formats.importers.fields import field, id_name, unmapped
from reasonledger.formats.importers.math_style import last_boxed
from reasonledger.records.agent import EnvironmentSpec
from reasonledger.records.io import read_records
from reasonledger.records.jsonl import parse_rows
from reasonledger.records.model import Kind, Record, Verdict
from reasonledger.records.parquet import parquet_rows
from reasonledger.records.quarantine import BadRow
from reasonledger.records.targets import rollout_target


def read_envelope(path: Path) -> Iterator[Record | BadRow]:
    return read_records(path)


def _names(value: str | Sequence[str] | None) -> list[str]:
    return [value] if isinstance(value, str) else list(value or ())


def _optional(row: dict[str, Any], path: str) -> Any:
    """A field that rows may lack (None then); a path that exists but cannot be followed is still an error."""
    return field(row, path) if path.split(".")[0] in row else None


def _per_rollout(row: dict[str, Any], path: str, n: int) -> list[Any] | None:
    values = _optional(row, path)
    if values is not None and (not isinstance(values, list) or len(values) != n):
        raise ValueError(f"{path!r} must be a list with one item per response ({n}), got "
                         f"{len(values) if isinstance(values, list) else type(values).__name__}")
    return values


def _label(value: Any, path: str) -> tuple[float, bool]:
    if isinstance(value, bool):
        return float(value), value
    if isinstance(value, (int, float)):
        return float(value), value >= 1
    raise ValueError(f"label {path!r} must be true/false or a number, got {value!r}")


def _restated(value: Any, prompt: Any, responses: list[str]) -> int | None:
    """The rollout index when `value` is only the chat form of (prompt, that response), else None."""
    if not (is_chat(value) and len(value) == 2 and all(set(m) == {"role", "content"} for m in value)):
        return None
    (user, reply) = value
    if user != {"role": "user", "content": prompt} or reply["role"] != "assistant":
        return None
    return next((j for j, r in enumerate(responses) if r == reply["content"]), None)


def read_mapped(path: Path, prompt_field: str = "prompt", answer_field: str | None = None,
                response_field: str | None = None, reference_field: str | None = None,
                verifier: str | None = None, dataset: str | None = None, license: str | None = None,
                revision: str | None = None, domain: str | None = None, id_field: str | None = None,
                split: str | None = None, label_fields: str | Sequence[str] | None = None,
                rollout_fields: str | Sequence[str] | None = None, boxed_reference_field: str | None = None,
                tool_calls: bool = False, tools_field: str | None = None) -> Iterator[Record | BadRow]:
    """Records from any rows. Field paths are dotted, with list indices (`messages.-1.content`).

    The reference is `reference_field`, else `answer_field`, else the last \\boxed{} of
    `boxed_reference_field`; `verifier` is attached to rows that have a reference. A chat prompt is
    split (see importers.chat; `tool_calls` makes it a tool trajectory, whose reference, when no
    reference field is named, is an environment spec holding the `tools_field` schemas). A list-valued
    `response_field` makes a rollout_set; `label_fields` (one label per response) become verdicts
    with label source `dataset`, `rollout_fields` (one value per response) each rollout's meta."""
    reference_from = reference_field or answer_field
    labels, per_rollout = _names(label_fields), _names(rollout_fields)
    rows = parquet_rows(path) if path.suffix == ".parquet" else json_rows(path)

    def convert(row: dict[str, Any], number: int) -> Record:
        prompt = field(row, prompt_field)
        chat = Split(prompt)
        if tool_calls and not is_chat(prompt):
            raise ValueError(f"{prompt_field!r} is not a list of chat messages (role, content)")
        if is_chat(prompt):
            chat = (split_tool_chat if tool_calls else split_chat)(prompt, prompt_field)
        response = chat.response
        responses: list[str] | None = None
        if response_field:
            value = field(row, response_field)
            if isinstance(value, list):
                if not value or not all(isinstance(v, str) for v in value):
                    raise ValueError(f"{response_field!r} must be a non-empty list of texts (one per rollout)")
                responses = value
            elif isinstance(value, dict):
                raise ValueError(f"{response_field!r} is a mapping ({', '.join(map(str, value))}); "
                                 "name the text inside it, e.g. --response-field "
                                 f"{response_field}.{next(iter(value), 'content')}")
            elif value is not None:
                response = str(value)
        if reference_from:
            reference = field(row, reference_from)
        else:
            reference = last_boxed(field(row, boxed_reference_field) or "") if boxed_reference_field else None
        tools_used = bool(tools_field) and reference is None and row.get(tools_field) is not None
        if tools_used:
            reference = EnvironmentSpec(tools=row[tools_field]).as_reference()
        if chat.messages:
            kind, behaviour = Kind.tool_trajectory, {"messages": chat.messages, "actions": chat.actions or None,
                                                     "response": response}
        elif responses is not None:
            rollout_meta = {name: _per_rollout(row, name, len(responses)) for name in per_rollout}
            kind, behaviour = Kind.rollout_set, {"rollouts": [
                {"response": r, "meta": {k: v[j] for k, v in rollout_meta.items() if v is not None}}
                for j, r in enumerate(responses)]}
        else:
            kind, behaviour = Kind.prompt_answer, {"response": response} if response is not None else {}
        verdicts = []
        for name in labels:
            values = _per_rollout(row, name, len(responses)) if responses is not None else [_optional(row, name)]
            for j, value in enumerate(values or []):
                if value is not None:
                    score, passed = _label(value, name)
                    verdicts.append(Verdict(
                        verifier=name, version=revision or "unpinned", score=score, passed=passed,
                        target=rollout_target(j) if responses is not None else "answer", label_source="dataset",
                        evidence={"origin": f"{dataset or path.name} field {name}", "value": value}))
        ids = id_name(row, id_field)
        meta = unmapped(row, [prompt_field, response_field, reference_from, boxed_reference_field, ids,
                              *labels, *per_rollout, tools_field if tools_used else None])
        for key in list(meta):
            j = _restated(meta[key], prompt, responses or ([response] if response is not None else []))
            if j is not None:  # the same prompt and reply again, in chat form: kept as where to find them
                del meta[key]
                meta.setdefault("restated", {})[key] = f"prompt + rollout:{j}" if responses else "prompt + response"
        if chat.extras:
            meta["message_extras"] = chat.extras
        return Record(kind=kind, task={
            "prompt": chat.prompt,
            "reference": reference,
            "domain": domain,
            "source": {"dataset": dataset or path.name, "revision": revision, "license": license, "split": split,
                       "row_id": str(field(row, ids)) if ids else str(number)},
            "verifier": {"name": verifier} if verifier and (reference is not None or not (
                reference_from or boxed_reference_field)) else None,
        }, behaviour=behaviour, verdicts=verdicts, meta=meta)

    yield from parse_rows(rows, str(path), convert)
