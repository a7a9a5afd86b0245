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
        self._texts: dict[str, str] | None = None
        self._table_text: str | None = None

    def row_text(self, key: str) -> str:
        if self._texts is None:
            self._texts = {k: str(hashable(row)) for k, row in self.rows.items()}
        return self._texts[key]

    def text(self) -> str:
        if self._table_text is None:
            self._table_text = _tuple_text([_pair_text(k, self.row_text(k)) for k in sorted(self.rows)])
        return self._table_text


class Table(Mapping[str, Any]):
    """An episode's view of one table: reads fall through to the shared base; `writable(key)` and
    item assignment give the episode its own copy of the row and mark the table changed."""

    def __init__(self, base: BaseTable) -> None:
        self._base = base
        self._own: dict[str, Any] = {}
        self._order: list[str] | None = None  # keys added by the episode, after the base's, in insertion order
        self.touched: set[str] = set()
        self.version = 0  # bumped whenever a row is handed out for writing, so cached text is never stale
        self._text: tuple[int, str] | None = None

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

    def writable(self, key: str) -> Any:
        """The row, owned by this episode, to change in place."""
        if key not in self._own:
            self._own[key] = copy.deepcopy(self._base.rows[key])
        self.touched.add(key)
        self.version += 1
        return self._own[key]

    def __setitem__(self, key: str, row: Any) -> None:
        if key not in self:
            self._order = [*(self._order or ()), key]
        self._own[key] = row
        self.touched.add(key)
        self.version += 1

    def text(self) -> str:
        """This table's piece of τ-bench's hash text."""
        if not self.touched:
            return self._base.text()
        if self._text is None or self._text[0] != self.version:
            parts = []
            for key in sorted(self):
                row_text = str(hashable(self._own[key])) if key in self._own else self._base.row_text(key)
                parts.append(_pair_text(key, row_text))
            self._text = (self.version, _tuple_text(parts))
        return self._text[1]

    def plain(self) -> dict[str, Any]:
        return {key: self[key] for key in self}


class Database(Mapping[str, Table]):
    """An episode's tables by name, with τ-bench's data hash over all of them."""

    def __init__(self, base: Mapping[str, BaseTable]) -> None:
        self._tables = {name: Table(table) for name, table in base.items()}
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

    def digest(self) -> str:
        """sha256 hex of τ-bench's `str(to_hashable(data))`, recomputed only when a row was written."""
        versions = tuple(table.version for table in self._tables.values())
        if self._digest is None or self._digest[0] != versions:
            parts = [_pair_text(name, self._tables[name].text()) for name in sorted(self._tables)]
            self._digest = (versions, hashlib.sha256(_tuple_text(parts).encode("utf-8")).hexdigest())
        return self._digest[1]

    def plain(self) -> dict[str, dict[str, Any]]:
        return {name: table.plain() for name, table in self._tables.items()}
