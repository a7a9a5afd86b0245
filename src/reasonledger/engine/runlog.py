"""The run log: one JSON event per stage, appended and flushed, from which the card is computed."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger import __version__
from reasonledger.engine.rundir import RunDir

class RunLog:
    def __init__(self, run_dir: Path) -> None:
        self.path = RunDir(run_dir).runlog

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        entry = {"event": event, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "package_version": __version__, **fields}
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return entry

    def events(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if line:
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line cut by a kill mid-write; the event is re-logged on resume


def latest_by(events: list[dict[str, Any]], event: str, key: str) -> dict[str, dict[str, Any]]:
    """The last event of a type for each value of `key` (a resumed run logs a stage only once done)."""
    return {e[key]: e for e in events if e.get("event") == event}
