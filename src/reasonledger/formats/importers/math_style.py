"""MATH-style rows: `problem`, `solution` (with a `\\boxed{}` answer) and optionally `answer`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.formats.importers._common import json_rows
from reasonledger.formats.importers.fields import field, id_name, unmapped
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


def read_math(path: Path, dataset: str = "math", license: str | None = None, revision: str | None = None,
              split: str | None = None, id_field: str | None = None) -> Iterator[Record | BadRow]:
    """MATH and MATH-500 rows: the reference is `answer`, else the last \\boxed{} of `solution`; every
    other field (`solution`, `level`, `type`, `subject` ...) is kept in meta."""
    def convert(row: dict[str, Any], number: int) -> Record:
        answer = row.get("answer") or last_boxed(row.get("solution") or "")
        if not answer:
            raise ValueError("no `answer` field and no \\boxed{} answer in `solution`")
        ids = id_name(row, id_field)
        return Record(kind=Kind.prompt_answer, task={
            "prompt": row["problem"],
            "reference": answer,
            "domain": "math",
            "source": {"dataset": dataset, "revision": revision, "license": license, "split": split,
                       "row_id": str(field(row, ids)) if ids else str(number)},
            "verifier": {"name": "math"},
        }, meta=unmapped(row, ["problem", "answer", ids]))

    yield from parse_rows(json_rows(path), str(path), convert)
