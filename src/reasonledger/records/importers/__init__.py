"""Importers: public formats in, verifier-anchored records out (bad rows come out as BadRows)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from reasonledger.records.importers import code, generic, gsm8k, math_style, presets, processbench, rg_rollouts
from reasonledger.records.model import Record
from reasonledger.records.quarantine import DEFAULT_MAX_BAD_ROWS, BadRow, cap_bad_rows

Importer = Callable[..., Iterator[Record | BadRow]]

IMPORTERS: dict[str, Importer] = {
    "records": generic.read_envelope,
    "gsm8k": gsm8k.read_gsm8k,
    "gsm8k-solutions": gsm8k.read_gsm8k_solutions,
    "math": math_style.read_math,
    "processbench": processbench.read_processbench,
    "humaneval": code.read_humaneval,
    "humanevalplus": code.read_humanevalplus,
    "mbpp": code.read_mbpp,
    "rg-rollouts": rg_rollouts.read_rg_rollouts,
    "jsonl": generic.read_mapped,
    "parquet": generic.read_mapped,
    "openr1": presets.read_openr1,
    "numina": presets.read_numina,
    "chat": presets.read_chat,
    "openai-tools": presets.read_openai_tools,
}


def importer_options(fmt: str) -> list[str]:
    """The keyword options the `fmt` importer takes (its preset values are defaults one may override)."""
    return [name for name in inspect.signature(IMPORTERS[fmt]).parameters if name != "path"]


def import_file(path: Path | str, fmt: str, max_bad_rows: int = DEFAULT_MAX_BAD_ROWS,
                **options: Any) -> Iterator[Record | BadRow]:
    """Records from `path` in format `fmt`; options are the importer's keyword arguments.
    Stops with TooManyBadRows (a ValueError) after `max_bad_rows` bad rows."""
    if fmt not in IMPORTERS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(sorted(IMPORTERS))}")
    return cap_bad_rows(IMPORTERS[fmt](Path(path), **options), max_bad_rows)
