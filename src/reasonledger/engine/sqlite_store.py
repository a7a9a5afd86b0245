"""Opening one SQLite file from many worker processes at once.

Switching a new file to WAL mode, and recovering a WAL left by a killed run, answer SQLITE_BUSY
straight away instead of waiting on the busy timeout, so workers that start together would fail
one in a few dozen times. The set-up statements are retried until a deadline instead.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

BUSY_DEADLINE_S = 60.0


def open_shared(path: Path | str, setup: list[str], *, deadline_s: float = BUSY_DEADLINE_S) -> sqlite3.Connection:
    """A connection in WAL mode with `setup` applied, retried while another process holds the file."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    give_up = time.monotonic() + deadline_s
    while True:
        db = sqlite3.connect(str(path), timeout=deadline_s)
        try:
            for statement in ["PRAGMA journal_mode=WAL", *setup]:
                db.execute(statement)
            return db
        except sqlite3.OperationalError as error:
            db.close()
            if not _is_busy(error) or time.monotonic() > give_up:
                raise
            time.sleep(random.uniform(0.005, 0.05))


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return "locked" in text or "busy" in text
