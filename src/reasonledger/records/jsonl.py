"""Streaming JSONL (and .jsonl.gz): the interchange format. Bad lines become BadRows, never crashes."""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from reasonledger.records.model import Record
from reasonledger.records.quarantine import BadRow

DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024


def _open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def read_json_lines(
    path: Path | str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[tuple[int, Any] | BadRow]:
    """Yield (line number, parsed JSON) per non-blank line, or a BadRow saying what was wrong.

    Lines are read with a length cap so a 100 MB line costs bounded memory before it is rejected;
    the whole oversized line is still kept (as the BadRow's raw bytes) so nothing is lost.
    """
    path = Path(path)
    name = str(path)
    with _open_binary(path) as handle:
        number = 0
        while True:
            chunk = handle.readline(max_line_bytes + 1)
            if not chunk:
                break
            number += 1
            if len(chunk) > max_line_bytes and not chunk.endswith(b"\n"):
                rest = [chunk]
                while True:
                    more = handle.readline(max_line_bytes)
                    rest.append(more)
                    if not more or more.endswith(b"\n"):
                        break
                raw = b"".join(rest).removesuffix(b"\n")
                yield BadRow(name, number, f"line is {len(raw):,} bytes, over the {max_line_bytes:,}-byte limit "
                             "(raise --max-line-bytes if it is meant to be this long)", raw)
                continue
            if not chunk.strip():
                continue
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield BadRow(name, number, f"invalid UTF-8 at byte {exc.start}: re-encode the file as UTF-8",
                             chunk.removesuffix(b"\n"))
                continue
            try:
                yield number, json.loads(text)
            except json.JSONDecodeError as exc:
                yield BadRow(name, number, f"bad JSON at character {exc.pos}: {exc.msg}", chunk.removesuffix(b"\n"))
        if number == 0:
            yield BadRow(name, 0, "file is empty: expected one JSON object per line")


def validation_reason(exc: ValidationError) -> str:
    """A one-line reason naming each bad field and what was expected."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{where}: {err['msg']}")
    more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
    return "; ".join(parts) + more


def parse_rows(
    rows: Iterable[tuple[int, Any] | BadRow], file: str, convert: Callable[[dict[str, Any], int], Record]
) -> Iterator[Record | BadRow]:
    """Turn parsed rows into records with `convert(row, number)`; any failure becomes a BadRow."""
    for row in rows:
        if isinstance(row, BadRow):
            yield row
            continue
        number, value = row
        if not isinstance(value, dict):
            yield BadRow(file, number, f"expected a JSON object, got {type(value).__name__}", _raw(value))
            continue
        try:
            yield convert(value, number)
        except ValidationError as exc:
            yield BadRow(file, number, validation_reason(exc), _raw(value))
        except (KeyError, TypeError, ValueError) as exc:
            yield BadRow(file, number, f"{type(exc).__name__}: {exc.args[0] if exc.args else exc}", _raw(value))


def _raw(value: Any) -> bytes:
    """The row as quarantine keeps it; serialised only for rows that go there."""
    return json.dumps(value, ensure_ascii=False).encode()


def read_jsonl_records(path: Path | str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Record | BadRow]:
    """Records in reasonledger's own JSONL envelope."""
    return parse_rows(read_json_lines(path, max_line_bytes), str(path), lambda row, _: Record.model_validate(row))


def write_jsonl(records: Iterable[Record | dict], path: Path | str) -> int:
    """Write records (or plain dicts) one per line; gzip when the name ends in .gz. Returns the count.

    Written under a temporary name, then renamed: a killed write never leaves a half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("wb") as raw, _text_writer(raw, path) as handle:
        for item in records:
            row = item.model_dump(mode="json") if isinstance(item, Record) else item
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    os.replace(tmp, path)
    return count


def _text_writer(raw: IO[bytes], path: Path) -> IO[str]:
    """UTF-8 text onto `raw`, gzipped when `path` ends in .gz (the gzip header names `path`, not the temporary file)."""
    if path.suffix == ".gz":
        raw = gzip.GzipFile(filename=path.name, mode="wb", fileobj=raw)  # type: ignore[assignment]
    return io.TextIOWrapper(raw, encoding="utf-8")
