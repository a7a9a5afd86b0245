"""Importers: public formats in, verifier-anchored records out (bad rows come out as BadRows)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from reasonledger.records.model import Record
from reasonledger.records.quarantine import DEFAULT_MAX_BAD_ROWS, BadRow, cap_bad_rows
from reasonledger.registry import Registry, registry

Importer = Callable[..., Iterator[Record | BadRow]]

# Formats by name, filled by the `reasonledger.plugins` entry points (reasonledger's own:
# reasonledger/builtins.py); an importer is `importer(path, **options)`.
IMPORTERS: Registry[Importer] = registry("import format")


def register_importer(name: str, importer: Importer) -> None:
    """Make `importer(path, **options)` (yielding Records and BadRows) a format recipes and commands name."""
    IMPORTERS.add(name, importer)


def importer_options(fmt: str) -> list[str]:
    """The keyword options the `fmt` importer takes (its preset values are defaults one may override)."""
    return [name for name in inspect.signature(IMPORTERS[fmt]).parameters if name != "path"]


def import_file(path: Path | str, fmt: str, max_bad_rows: int = DEFAULT_MAX_BAD_ROWS,
                **options: Any) -> Iterator[Record | BadRow]:
    """Records from `path` in format `fmt`; options are the importer's keyword arguments.
    Stops with TooManyBadRows (a ValueError) after `max_bad_rows` bad rows."""
    if fmt not in IMPORTERS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(IMPORTERS)}")
    return cap_bad_rows(IMPORTERS[fmt](Path(path), **options), max_bad_rows)
