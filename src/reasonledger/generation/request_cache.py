"""The request cache: request key -> response, in SQLite in the run directory.

Each response is committed as soon as it arrives (the answers that land in the same turn of the
event loop share one commit), long before the record that uses it exists, so a run killed at any
moment resumes without sending again any request whose answer it had taken in.
WAL mode with synchronous=NORMAL keeps a commit durable across a killed process (not across a
power cut) at a few tens of microseconds each; worker processes each open their own connection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from reasonledger.generation.protocol import Response
from reasonledger.engine.sqlite_store import open_shared


class RequestCache:
    def __init__(self, path: Path | str) -> None:
        self._db = open_shared(path, ["PRAGMA synchronous=NORMAL",
                                      "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL)"])

    def _rows(self, columns: str, keys: Iterable[str]) -> Iterator[tuple[str, ...]]:
        """`columns` of the rows of `keys` (each once), asked 500 keys at a time (SQLite's bound on parameters)."""
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            yield from self._db.execute(f"SELECT {columns} FROM responses WHERE key IN ({','.join('?' * len(chunk))})",
                                        chunk).fetchall()

    def get_many(self, keys: Iterable[str]) -> dict[str, Response]:
        return {key: Response.from_json(json.loads(text), cached=True) for key, text in self._rows("key, response", keys)}

    def known(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` have an answer, without reading the answers."""
        return {key for (key,) in self._rows("key", keys)}

    def put_many(self, items: list[tuple[str, Response]]) -> None:
        """Store and commit responses in one transaction (durable when this returns)."""
        rows = [(key, json.dumps(r.to_json(), ensure_ascii=False, separators=(",", ":"))) for key, r in items]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?)", rows)

    def keys(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT key FROM responses")}

    def close(self) -> None:
        self._db.close()
