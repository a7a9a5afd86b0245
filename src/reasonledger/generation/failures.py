"""The failures file: every request that got no usable answer after its retries, one JSON line each.

Nothing fails silently: the record that needed the request is dropped with a reason (or the build
stops, with `on_failure: stop`), the step counts the failure in the run log, and this file says
which request failed, how often it was tried and what the server said.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from reasonledger.records.jsonl import read_json_lines
from reasonledger.records.quarantine import BadRow

class FailureLog:
    """Appends to the run's failures file (`RunDir.failures`; one write per line, so worker processes
    can share it); without one the entries are only kept in memory."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: list[dict[str, Any]] = []

    def add(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)
        if self.path is None:
            return
        line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def read_failures(path: Path) -> list[dict[str, Any]]:
    """The failures in a run's failures file, the latest entry per request (a resumed shard may have
    retried one)."""
    if not path.exists():
        return []
    latest: dict[str, dict[str, Any]] = {}
    for row in read_json_lines(path):
        if isinstance(row, BadRow):
            continue  # a line cut by a kill mid-write (or an empty file); the request is retried on resume
        number, entry = row
        latest[entry.get("request", f"line {number}")] = entry
    return list(latest.values())
