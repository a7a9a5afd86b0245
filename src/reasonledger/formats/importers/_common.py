"""What every importer shares: rows from a JSON array or JSONL file, with a BadRow on failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.records.canonical import loads_row
from reasonledger.records.jsonl import read_json_lines
from reasonledger.records.quarantine import MAX_KEPT_BYTES, BadRow

# A JSON array is parsed whole (several times its size in memory): larger ones must be JSONL.
MAX_DOCUMENT_BYTES = MAX_KEPT_BYTES


def json_rows(path: Path) -> Iterator[tuple[int, Any] | BadRow]:
    """(row number, object) from a JSON array file or a JSONL(.gz) file, whichever `path` is."""
    if path.suffix == ".json":
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            yield BadRow(str(path), 0, f"a JSON document of {size:,} bytes, over the {MAX_DOCUMENT_BYTES:,} read "
                         "whole; convert it to JSONL (one row per line) to import it")
            return
        try:
            value = loads_row(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            yield BadRow(str(path), 0, f"not a JSON document: {exc}")
            return
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            yield BadRow(str(path), 0, f"expected a JSON array of rows, got {type(value).__name__}")
            return
        yield from enumerate(value, start=1)
        return
    yield from read_json_lines(path)
