"""Streaming JSONL (and .jsonl.gz): the interchange format. Bad lines become BadRows, never crashes."""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from reasonledger.records.canonical import loads_row
from reasonledger.records.model import Record
from reasonledger.records.quarantine import INLINE_RAW_LIMIT, BadRow, Spill

DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
SPILL_CHUNK = 1024 * 1024
# This many blank lines in a row are reported as one bad row (a file of nothing but newlines).
BLANK_RUN = 100


def _open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")


def read_json_lines(
    path: Path | str, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
) -> Iterator[tuple[int, Any] | BadRow]:
    """Yield (line number, parsed JSON) per non-blank line, or a BadRow saying what was wrong.

    Memory stays bounded whatever the file holds: a line over `max_line_bytes` is streamed to a
    spill file (its first `MAX_KEPT_BYTES` kept, the rest only counted) and never held whole; a
    long run of blank lines is one BadRow per `BLANK_RUN` lines, so the bad-row cap ends a file of
    nothing but newlines quickly. Rows are parsed strictly (see `canonical.loads_row`).
    """
    path = Path(path)
    name = str(path)
    with _open_binary(path) as handle:
        number = 0
        blank_from = 0
        while True:
            try:
                chunk, long_line = handle.readline(max_line_bytes + 1), None
                if len(chunk) > max_line_bytes and not chunk.endswith(b"\n"):
                    long_line = _spill_long_line(name, number + 1, chunk, handle, max_line_bytes)
            except (OSError, EOFError, zlib.error) as exc:  # not gzip, truncated, corrupt
                yield BadRow(name, number + 1, f"cannot read the file from here on ({type(exc).__name__}: {exc}); "
                             "the lines before were read")
                return
            if not chunk:
                break
            number += 1
            if long_line is not None:
                blank_from = 0
                yield long_line
                continue
            if not chunk.strip():
                if not blank_from:
                    blank_from = number
                elif number - blank_from + 1 == BLANK_RUN:
                    yield BadRow(name, blank_from, f"lines {blank_from:,}-{number:,} are all blank: "
                                 "is this a JSONL file?")
                    blank_from = 0
                continue
            blank_from = 0
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield BadRow(name, number, f"invalid UTF-8 at byte {exc.start}: re-encode the file as UTF-8",
                             chunk.removesuffix(b"\n"))
                continue
            try:
                yield number, loads_row(text)
            except json.JSONDecodeError as exc:
                yield BadRow(name, number, f"bad JSON at character {exc.pos}: {exc.msg}", chunk.removesuffix(b"\n"))
            except ValueError as exc:
                yield BadRow(name, number, str(exc), chunk.removesuffix(b"\n"))
        if number == 0:
            yield BadRow(name, 0, "file is empty: expected one JSON object per line")


def _spill_long_line(name: str, number: int, first: bytes, handle: IO[bytes], max_line_bytes: int) -> BadRow:
    """Stream the rest of an over-long line to a spill file in small chunks; the BadRow points to it."""
    with Spill() as spill:
        spill.write(first)
        while True:
            more = handle.readline(SPILL_CHUNK)
            spill.write(more.removesuffix(b"\n"))
            if not more or more.endswith(b"\n"):
                break
    kept = "" if spill.size == spill.seen else f"; its first {spill.size:,} bytes are kept"
    reason = (f"line is {spill.seen:,} bytes, over the {max_line_bytes:,}-byte limit "
              f"(raise --max-line-bytes if it is meant to be this long){kept}")
    if spill.size <= INLINE_RAW_LIMIT:
        return BadRow(name, number, reason, spill.take())
    return BadRow(name, number, reason, spill=spill)


def validation_reason(exc: ValidationError) -> str:
    """A one-line reason naming each bad field and what was expected."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
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
            yield BadRow(file, number, f"expected a JSON object, got {type(value).__name__}", raw_json(value))
            continue
        try:
            yield convert(value, number)
        except ValidationError as exc:
            yield BadRow(file, number, validation_reason(exc), raw_json(value))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            yield BadRow(file, number, f"{type(exc).__name__}: {exc.args[0] if exc.args else exc}", raw_json(value))
        except RecursionError:
            yield BadRow(file, number, "nested too deeply to process", raw_json(value))


def raw_json(value: Any) -> bytes:
    """The row as quarantine keeps it; serialised only for rows that go there. Never raises:
    text that is not valid Unicode is kept escaped, values JSON has no type for as their str()."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str).encode()
    except UnicodeEncodeError:
        return json.dumps(value, default=str).encode()
    except (RecursionError, ValueError, TypeError):
        try:
            return repr(value)[:INLINE_RAW_LIMIT].encode("utf-8", "backslashreplace")
        except RecursionError:
            return b""


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
