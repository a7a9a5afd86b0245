"""A τ-bench database as copy-on-write tables with τ-bench's own state hash, kept cheap per step.

τ-bench hashes its whole database as sha256 of `str()` of a nested tuple (dicts become key-sorted
tuples of pairs, lists become tuples). Done from scratch that costs ~0.26 s on the airline data, so
here each row's piece of that string is computed once per process for the pinned data and again
only for rows a tool wrote; the hash is the same bytes streamed from the cached pieces. An episode
never copies the database: a tool that writes a row gets its own deep copy of that row.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any


def hashable(item: Any) -> Any:
    """τ-bench's hashable form: dicts as key-sorted tuples of (key, value), lists as tuples."""
    if isinstance(item, dict):
        return tuple((key, hashable(value)) for key, value in sorted(item.items()))
    if isinstance(item, list):
        return tuple(hashable(value) for value in item)
    return item


def _tuple_text(parts: list[str]) -> str:
    """`str()` of a tuple whose elements print as `parts` (a one-element tuple keeps its comma)."""
    if len(parts) == 1:
        return f"({parts[0]},)"
    return "(" + ", ".join(parts) + ")"


def _pair_text(key: str, value_text: str) -> str:
    return f"({key!r}, {value_text})"


class BaseTable:
    """One table of the pinned data, read-only and shared by every episode in the process, with
    each row's piece of the hash text computed on first use."""

    def __init__(self, rows: dict[str, Any]) -> None:
        self.rows = rows
        self._texts: dict[str, str] | None = None  # key -> the row's text
        self._pairs: dict[str, str] | None = None  # key -> "(key, row text)", in sorted key order
        self._table_text: bytes | None = None

    def row_text(self, key: str) -> str:
        if self._texts is None:
            self._texts = {k: str(hashable(row)) for k, row in self.rows.items()}
        return self._texts[key]

    def pairs(self) -> dict[str, str]:
        if self._pairs is None:
            self._pairs = {k: _pair_text(k, self.row_text(k)) for k in sorted(self.rows)}
        return self._pairs

    def text(self) -> bytes:
        if self._table_text is None:
            self._table_text = _tuple_text(list(self.pairs().values())).encode("utf-8")
        return self._table_text


class Snapshot:
    """The pinned tables of a domain at one revision, and the hash of their untouched state."""

    def __init__(self, tables: dict[str, BaseTable]) -> None:
        self.tables = tables
        self._digest: str | None = None

    def digest(self) -> str:
        if self._digest is None:
            self._digest = _digest({name: table.text() for name, table in self.tables.items()})
        return self._digest


def _digest(table_texts: Mapping[str, bytes]) -> str:
    """sha256 of `str()` of the tuple of (table name, table) pairs, streamed from each table's text."""
    digest = hashlib.sha256(b"(")
    for i, name in enumerate(sorted(table_texts)):
        digest.update(b"%s(%s, " % (b", " if i else b"", repr(name).encode("utf-8")))
        digest.update(table_texts[name])
        digest.update(b")")
    digest.update(b",)" if len(table_texts) == 1 else b")")
    return digest.hexdigest()


class Table(Mapping[str, Any]):
    """An episode's view of one table: reads fall through to the shared base; `writable(key)` and
    item assignment give the episode its own copy of the row and mark the table changed."""

    def __init__(self, base: BaseTable, log: dict[tuple[str, str], str | None], name: str) -> None:
        self._base = base
        self._own: dict[str, Any] = {}
        self._order: list[str] | None = None  # keys added by the episode, after the base's, in insertion order
        self._log, self._name = log, name
        self.touched: set[str] = set()
        self.version = 0  # bumped whenever a row is handed out for writing, so cached text is never stale
        self._text: tuple[int, bytes] | None = None

    def __getitem__(self, key: str) -> Any:
        if key in self._own:
            return self._own[key]
        return self._base.rows[key]

    def __contains__(self, key: object) -> bool:
        return key in self._own or key in self._base.rows

    def __iter__(self) -> Iterator[str]:
        yield from self._base.rows
        yield from self._order or ()

    def __len__(self) -> int:
        return len(self._base.rows) + len(self._order or ())

    def _note(self, key: str) -> None:
        """Remember the row's text before its first write in this step (None: the row is new)."""
        if (self._name, key) not in self._log:
            self._log[(self._name, key)] = self.row_text(key) if key in self else None
        self.touched.add(key)
        self.version += 1

    def row_text(self, key: str) -> str:
        return str(hashable(self._own[key])) if key in self._own else self._base.row_text(key)

    def writable(self, key: str) -> Any:
        """The row, owned by this episode, to change in place."""
        row = self[key]  # a missing key fails here, as a dict lookup would
        self._note(key)
        if key not in self._own:
            self._own[key] = copy.deepcopy(row)
        return self._own[key]

    def __setitem__(self, key: str, row: Any) -> None:
        self._note(key)
        if key not in self:
            self._order = [*(self._order or ()), key]
        self._own[key] = row

    def text(self) -> bytes:
        """This table's piece of τ-bench's hash text."""
        if not self.touched:
            return self._base.text()
        if self._text is None or self._text[0] != self.version:
            base = self._base.pairs()
            keys = base if not self._order else sorted(self)
            parts = [_pair_text(k, str(hashable(self._own[k]))) if k in self._own else base[k] for k in keys]
            self._text = (self.version, _tuple_text(parts).encode("utf-8"))
        return self._text[1]

    def plain(self) -> dict[str, Any]:
        return {key: self[key] for key in self}


class Database(Mapping[str, Table]):
    """An episode's tables by name, with τ-bench's data hash over all of them."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._log: dict[tuple[str, str], str | None] = {}
        self._tables = {name: Table(table, self._log, name) for name, table in snapshot.tables.items()}
        self._digest: tuple[tuple[int, ...], str] | None = None

    def __getitem__(self, name: str) -> Table:
        return self._tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def touched(self) -> dict[str, list[str]]:
        """Rows this episode has written, by table."""
        return {name: sorted(t.touched) for name, t in self._tables.items() if t.touched}

    def begin_step(self) -> None:
        self._log.clear()

    def step_changed(self) -> bool:
        """Whether a row written since `begin_step` now reads differently (cheap: only those rows)."""
        return any(before != self._tables[name].row_text(key) for (name, key), before in self._log.items())

    def digest(self) -> str:
        """sha256 hex of τ-bench's `str(to_hashable(data))`, recomputed only when a row was written."""
        versions = tuple(table.version for table in self._tables.values())
        if not any(versions):
            return self._snapshot.digest()
        if self._digest is None or self._digest[0] != versions:
            self._digest = (versions, _digest({name: table.text() for name, table in self._tables.items()}))
        return self._digest[1]

    def plain(self) -> dict[str, dict[str, Any]]:
        return {name: table.plain() for name, table in self._tables.items()}
