"""The verdict cache: (response, reference, verifier id@version, config hash) -> verdict, in SQLite.

Fixing a verifier bumps its version, so only the verdicts it affects are computed again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasonledger.engine.sqlite_store import open_shared
from reasonledger.records.model import Verdict, json_digest


def verdict_key(reference: Any, response: str, verifier_id: str, version: str, config_hash: str) -> str:
    return json_digest([reference, response, f"{verifier_id}@{version}", config_hash], 64)


class VerdictCache:
    """Safe to share between worker processes (WAL mode, busy timeout); each process opens its own."""

    def __init__(self, path: Path | str) -> None:
        self._db = open_shared(path, ["CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, verdict TEXT NOT NULL)"])

    def get(self, key: str) -> Verdict | None:
        row = self._db.execute("SELECT verdict FROM verdicts WHERE key = ?", (key,)).fetchone()
        return None if row is None else Verdict.model_validate_json(row[0])

    def put_many(self, items: list[tuple[str, Verdict]]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO verdicts VALUES (?, ?)",
                                 [(key, verdict.model_dump_json()) for key, verdict in items])

    def close(self) -> None:
        self._db.close()
