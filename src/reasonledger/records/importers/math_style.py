"""MATH-style rows: `problem`, `solution` (with a `\\boxed{}` answer) and optionally `answer`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.records.importers._common import json_rows
from reasonledger.records.jsonl import parse_rows
from reasonledger.records.model import Kind, Record
from reasonledger.records.quarantine import BadRow


def last_boxed(text: str) -> str | None:
    r"""The content of the last `\boxed{...}` or `\fbox{...}`, with nested braces balanced."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth = 1
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j].strip()
    return None


def read_math(path: Path, dataset: str = "math", license: str | None = None,
              revision: str | None = None) -> Iterator[Record | BadRow]:
    def convert(row: dict[str, Any], number: int) -> Record:
        answer = row.get("answer") or last_boxed(row.get("solution") or "")
        if not answer:
            raise ValueError("no `answer` field and no \\boxed{} answer in `solution`")
        return Record(kind=Kind.prompt_answer, task={
            "prompt": row["problem"],
            "reference": answer,
            "domain": "math",
            "source": {"dataset": dataset, "revision": revision, "license": license,
                       "row_id": str(row.get("unique_id") or row.get("id") or number)},
            "verifier": {"name": "math"},
        }, meta={k: row[k] for k in ("level", "type", "subject") if k in row})

    yield from parse_rows(json_rows(path), str(path), convert)
