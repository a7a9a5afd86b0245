"""Bad input is kept, never dropped: each bad row goes to a quarantine file with file, line and reason."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass
class BadRow:
    """A row that could not become a record, with everything needed to find and fix it."""

    file: str
    line: int
    reason: str
    raw: bytes = b""

    def message(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


# Raw rows larger than this go to a blob file next to the quarantine file, not inline.
INLINE_RAW_LIMIT = 64 * 1024


class Quarantine:
    """Appends bad rows to `quarantine.jsonl`; large raw rows are written whole to `blobs/`."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.count = 0
        self._handle: IO[str] | None = None

    @property
    def path(self) -> Path:
        return self.directory / "quarantine.jsonl"

    def add(self, bad: BadRow) -> None:
        if self._handle is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        entry = {"file": bad.file, "line": bad.line, "reason": bad.reason}
        if len(bad.raw) <= INLINE_RAW_LIMIT:
            try:
                entry["raw"] = bad.raw.decode("utf-8")
            except UnicodeDecodeError:
                entry["raw_base64"] = base64.b64encode(bad.raw).decode("ascii")
        else:
            blobs = self.directory / "blobs"
            blobs.mkdir(exist_ok=True)
            blob = blobs / f"{hashlib.sha256(bad.raw).hexdigest()[:24]}.bin"
            blob.write_bytes(bad.raw)
            entry["raw_file"] = str(blob.relative_to(self.directory))
            entry["raw_bytes"] = len(bad.raw)
        self._handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> "Quarantine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
