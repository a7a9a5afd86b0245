"""The verdict cache: (response, reference, verifier id@version, config hash) -> verdicts, in SQLite.

Fixing a verifier bumps its version, so only the verdicts it affects are computed again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from reasonledger.engine.sqlite_store import open_shared
from reasonledger.records.model import Verdict, json_digest


_VERDICTS = TypeAdapter(list[Verdict])


def verdict_key(reference: Any, response: str, verifier_id: str, version: str, config_hash: str) -> str:
    return json_digest([reference, response, f"{verifier_id}@{version}", config_hash], 64)


class VerdictCache:
    """Safe to share between worker processes (WAL mode, busy timeout); each process opens its own."""

    def __init__(self, path: Path | str) -> None:
        self._db = open_shared(path, ["CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, verdict TEXT NOT NULL)"])

    def get(self, key: str) -> list[Verdict] | None:
        """The verdicts a check gave (those on parts of the response first, the whole last), or None."""
        row = self._db.execute("SELECT verdict FROM verdicts WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        if row[0].startswith("["):
            return _VERDICTS.validate_json(row[0])
        return [Verdict.model_validate_json(row[0])]

    def put_many(self, items: list[tuple[str, list[Verdict]]]) -> None:
        """A check with one verdict is stored as that verdict (as caches written before parts were)."""
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO verdicts VALUES (?, ?)",
                                 [(key, verdicts[0].model_dump_json() if len(verdicts) == 1
                                   else _VERDICTS.dump_json(verdicts).decode()) for key, verdicts in items])

    def close(self) -> None:
        self._db.close()
