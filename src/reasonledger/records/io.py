"""Read any record store by its path: Parquet shards (or one file), or reasonledger JSONL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from reasonledger.records.jsonl import DEFAULT_MAX_LINE_BYTES, read_jsonl_records
from reasonledger.records.model import Record
from reasonledger.records.parquet import parquet_records, read_parquet_records
from reasonledger.records.quarantine import DEFAULT_MAX_BAD_ROWS, BadRow, cap_bad_rows


def data_path(path: Path | str) -> Path:
    """A run or import directory means its `data/` folder; anything else is taken as given."""
    path = Path(path)
    if path.is_dir() and (path / "data").is_dir():
        return path / "data"
    return path


def read_records(path: Path | str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                 max_bad_rows: int = DEFAULT_MAX_BAD_ROWS) -> Iterator[Record | BadRow]:
    """Records from `path`; rows that are not valid records come back as BadRows (a Parquet cell over
    `max_line_bytes` too). Raises only
    FileNotFoundError, or TooManyBadRows (a ValueError) after `max_bad_rows` bad rows."""
    path = data_path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.is_dir() or path.suffix == ".parquet":
        yield from cap_bad_rows(parquet_records(path, max_line_bytes), max_bad_rows)
        return
    yield from cap_bad_rows(read_jsonl_records(path, max_line_bytes), max_bad_rows)


def iter_valid(path: Path | str) -> Iterator[Record]:
    """Only the records, for callers that have already validated the store (Parquet this tool wrote
    is read without the cell limit that user files get)."""
    path = data_path(path)
    if path.is_dir() or path.suffix == ".parquet":
        yield from read_parquet_records(path)
        return
    for item in read_records(path):
        if isinstance(item, Record):
            yield item
