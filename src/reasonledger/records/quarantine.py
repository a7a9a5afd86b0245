"""Bad input is kept, never dropped: each bad row goes to a quarantine file with file, line and reason.

Memory stays bounded however many or however large the bad rows are: a raw row over
INLINE_RAW_LIMIT lives in a spill file on disk (moved into the quarantine's `blobs/` when
quarantined, deleted when its BadRow is dropped), and `cap_bad_rows` stops a stream after a
fixed number of bad rows.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

# Raw rows larger than this go to a blob file next to the quarantine file, not inline.
INLINE_RAW_LIMIT = 64 * 1024
# Of a raw row larger than this, only this much is kept (a 2 GB line from a 2 MB .gz is not copied whole).
MAX_KEPT_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_BAD_ROWS = 10_000
T = TypeVar("T")


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class Spill:
    """A raw row on disk (its first MAX_KEPT_BYTES), written in pieces; removed when dropped."""

    def __init__(self) -> None:
        fd, name = tempfile.mkstemp(prefix="reasonledger-row-", suffix=".bin")
        self.path = Path(name)
        self._handle: IO[bytes] | None = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self.size = 0  # bytes kept
        self.seen = 0  # bytes of the whole row
        self._cleanup = weakref.finalize(self, _remove, name)

    def write(self, data: bytes) -> None:
        assert self._handle is not None, "spill already closed"
        self.seen += len(data)
        room = MAX_KEPT_BYTES - self.size
        if room > 0 and data:
            part = data[:room]
            self._handle.write(part)
            self._digest.update(part)
            self.size += len(part)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> "Spill":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def take(self) -> bytes:
        """The bytes kept, read back into memory (for a small row); the file is removed."""
        self.close()
        data = self.path.read_bytes()
        _remove(str(self.path))
        self._cleanup.detach()
        return data

    def move_to(self, target: Path) -> None:
        """Hand the file over to `target` (dropped if `target` already holds the same bytes)."""
        self.close()
        if target.exists():
            _remove(str(self.path))
        else:
            shutil.move(str(self.path), target)
        self._cleanup.detach()


@dataclass
class BadRow:
    """A row that could not become a record, with everything needed to find and fix it.

    A `raw` over INLINE_RAW_LIMIT is moved to a `spill` file at once, so BadRows held in a list
    (a build shard's) cost little memory."""

    file: str
    line: int
    reason: str
    raw: bytes = b""
    spill: Spill | None = None

    def __post_init__(self) -> None:
        if len(self.raw) > INLINE_RAW_LIMIT and self.spill is None:
            with Spill() as spill:
                spill.write(self.raw)
            self.spill, self.raw = spill, b""

    def message(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class TooManyBadRows(ValueError):
    """More bad rows than the caller allows: probably the wrong file or format."""


def cap_bad_rows(items: Iterable[T], limit: int = DEFAULT_MAX_BAD_ROWS) -> Iterator[T]:
    """Pass items through; raise TooManyBadRows at bad row number `limit + 1`.

    What was passed on before (the first `limit` bad rows included) stays quarantined."""
    seen = 0
    for item in items:
        if isinstance(item, BadRow):
            seen += 1
            if seen > limit:
                raise TooManyBadRows(
                    f"stopped at {item.file}:{item.line}: more than {limit:,} bad rows (the first {limit:,} "
                    "are quarantined). Check the file and --format; if the rows are meant to be this bad, "
                    "raise --max-bad-rows (a recipe's file source: options.max_bad_rows).")
        yield item


class Quarantine:
    """Appends bad rows to `quarantine.jsonl`; large raw rows go to `blobs/`.

    A row already in the file with the same (file, line, reason) is not written again, so running
    a command twice into the same place does not double its quarantine. `count` is the number of
    bad rows handed in, `written` the number of new lines."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.count = 0
        self.written = 0
        self._handle: IO[str] | None = None
        self._seen: set[tuple[str, int, str]] = set()

    @property
    def path(self) -> Path:
        return self.directory / "quarantine.jsonl"

    def _open(self) -> IO[str]:
        if self._handle is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                self._seen.update(_keys(self.path))
            self._handle = self.path.open("a", encoding="utf-8", errors="backslashreplace")
        return self._handle

    def add(self, bad: BadRow) -> None:
        handle = self._open()
        self.count += 1
        key = (bad.file, bad.line, bad.reason)
        if key in self._seen:
            return
        self._seen.add(key)
        entry: dict[str, object] = {"file": bad.file, "line": bad.line, "reason": bad.reason}
        if bad.spill is not None:
            blobs = self.directory / "blobs"
            blobs.mkdir(exist_ok=True)
            blob = blobs / f"{bad.spill.sha256[:24]}.bin"
            bad.spill.move_to(blob)
            entry["raw_file"] = str(blob.relative_to(self.directory))
            entry["raw_bytes"] = bad.spill.size
            if bad.spill.seen > bad.spill.size:
                entry["raw_truncated_from"] = bad.spill.seen
        if bad.raw or bad.spill is None:  # with a spill too: the rest of the row (a Parquet row's small cells)
            try:
                entry["raw"] = bad.raw.decode("utf-8")
            except UnicodeDecodeError:
                entry["raw_base64"] = base64.b64encode(bad.raw).decode("ascii")
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.written += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> "Quarantine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _keys(path: Path) -> Iterator[tuple[str, int, str]]:
    """(file, line, reason) of each entry already in a quarantine file; unreadable lines are skipped."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for text in handle:
            try:
                entry = json.loads(text)
                key = (entry["file"], entry["line"], entry["reason"])
            except (ValueError, KeyError, TypeError):
                continue
            if isinstance(key[0], str) and isinstance(key[1], int) and isinstance(key[2], str):
                yield key
