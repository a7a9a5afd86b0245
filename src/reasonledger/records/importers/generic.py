"""Generic JSONL/Parquet with a field mapping, and reasonledger's own envelope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.records.importers._common import json_rows
from reasonledger.records.io import read_records
from reasonledger.records.jsonl import parse_rows
from reasonledger.records.model import Kind, Record
from reasonledger.records.parquet import parquet_rows
from reasonledger.records.quarantine import BadRow


def read_envelope(path: Path) -> Iterator[Record | BadRow]:
    return read_records(path)


def _field(row: dict[str, Any], name: str) -> Any:
    """A possibly dotted field (`a.b`) of a row; a missing field is an error that names it."""
    value: Any = row
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(f"missing field {name!r} (fields here: {', '.join(sorted(row))})")
        value = value[part]
    return value


def read_mapped(path: Path, prompt_field: str = "prompt", answer_field: str | None = None,
                response_field: str | None = None, reference_field: str | None = None,
                verifier: str | None = None, dataset: str | None = None, license: str | None = None,
                revision: str | None = None, domain: str | None = None,
                id_field: str | None = None) -> Iterator[Record | BadRow]:
    """prompt_answer records from any rows: the reference is `reference_field`, else `answer_field`."""
    reference_from = reference_field or answer_field
    rows = parquet_rows(path) if path.suffix == ".parquet" else json_rows(path)

    def convert(row: dict[str, Any], number: int) -> Record:
        prompt = _field(row, prompt_field)
        behaviour = {}
        if response_field:
            behaviour["response"] = str(_field(row, response_field))
        return Record(kind=Kind.prompt_answer, task={
            "prompt": prompt,
            "reference": _field(row, reference_from) if reference_from else None,
            "domain": domain,
            "source": {"dataset": dataset or path.name, "revision": revision, "license": license,
                       "row_id": str(_field(row, id_field) if id_field else number)},
            "verifier": {"name": verifier} if verifier else None,
        }, behaviour=behaviour)

    yield from parse_rows(rows, str(path), convert)
