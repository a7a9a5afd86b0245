"""Workers that open one cache file at the same moment must all get a connection."""

from __future__ import annotations

import multiprocessing

from reasonledger.engine.sqlite_store import open_shared


def _open_and_write(path: str) -> str | None:
    try:
        db = open_shared(path, ["CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)"])
        with db:
            db.execute("INSERT OR IGNORE INTO t VALUES ('x')")
        db.close()
        return None
    except Exception as error:  # reported back to the test, which names it
        return repr(error)


def test_many_processes_opening_a_new_file_together_all_succeed(tmp_path):
    # Plain sqlite3.connect + PRAGMA journal_mode=WAL failed about 1 in 90 openers here.
    context = multiprocessing.get_context("fork")
    errors: list[str] = []
    with context.Pool(6) as pool:
        for round_ in range(60):
            path = str(tmp_path / f"cache{round_}.sqlite")
            errors += [e for e in pool.map(_open_and_write, [path] * 6) if e]
    assert errors == []


def test_wal_mode_is_on(tmp_path):
    db = open_shared(tmp_path / "c.sqlite", [])
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
