"""Field paths into a row (`q.text`, `messages.-1.content`) and the row's fields no mapping used."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Row identifiers in the order they are looked for when no --id-field is given.
ID_FIELDS = ("id", "uuid", "unique_id", "task_id", "problem_id")


def field(row: dict[str, Any], path: str) -> Any:
    """The value at a dotted `path`: names step into mappings, integers (negative from the end) into
    lists. A missing step is a KeyError that names the path and what was there instead."""
    value: Any = row
    for depth, part in enumerate(path.split(".")):
        where = ".".join(path.split(".")[:depth]) or "the row"
        if isinstance(value, list):
            try:
                value = value[int(part)]
            except ValueError:
                raise KeyError(f"field {path!r}: {where} is a list; step into it with an index such as 0 or -1, "
                               f"not {part!r}") from None
            except IndexError:
                raise KeyError(f"field {path!r}: {where} has {len(value)} item(s), no index {part}") from None
        elif isinstance(value, dict):
            if part not in value:
                raise KeyError(f"missing field {path!r} ({where} has: {', '.join(sorted(map(str, value)))})")
            value = value[part]
        else:
            raise KeyError(f"field {path!r}: {where} is a {type(value).__name__}, which has no field {part!r}")
    return value


def id_name(row: dict[str, Any], id_field: str | None) -> str | None:
    """`id_field`, else the first of ID_FIELDS the row has (None: rows are numbered)."""
    if id_field:
        return id_field
    return next((name for name in ID_FIELDS if row.get(name) not in (None, "")), None)


def row_id(row: dict[str, Any], id_field: str | None, number: int) -> str:
    """The row's identifier: `id_field`'s value, else the first of ID_FIELDS it has, else its number."""
    name = id_name(row, id_field)
    return str(field(row, name)) if name else str(number)


def unmapped(row: dict[str, Any], used: Iterable[str | None]) -> dict[str, Any]:
    """The row's top-level fields that no used path starts at: kept in a record's meta, not dropped."""
    taken = {path.split(".")[0] for path in used if path}
    return {key: value for key, value in row.items() if key not in taken}
