"""What the commands share: the console, the quarantine exit code, and error reporting."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from reasonledger.records.model import Record
from reasonledger.records.quarantine import BadRow, Quarantine

console = Console(stderr=True, soft_wrap=True)
# Exit codes: 0 clean, 1 error (or --strict with bad rows), 3 finished but rows were quarantined.
EXIT_QUARANTINED = 3
# Outputs of `import` and `verify` (data/ and rejected/): either may replace the other with --force.
DATASET_KINDS = ("import", "verify")


def fail(message: str) -> NoReturn:
    """Print an error and exit 1. Messages are plain text: paths and values may hold `[...]`,
    which must not be read as console markup."""
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(1)


def report_bad(bad: BadRow) -> None:
    console.print(escape(bad.message()))


def split_bad(items: Iterable[Record | BadRow], quarantine: Quarantine, report: Callable[[BadRow], None] | None = None,
              ) -> Iterator[Record]:
    """Records pass through; bad rows go to the quarantine (and to `report`)."""
    for item in items:
        if isinstance(item, BadRow):
            quarantine.add(item)
            if report:
                report(item)
        else:
            yield item


def finish(bad: int, strict: bool, where: Path | None = None) -> None:
    """Say how many rows were bad and where they were kept (if they were), and exit accordingly."""
    if bad:
        said = f"quarantined (kept in {escape(str(where))})" if where else "found (not kept)"
        console.print(f"[yellow]{bad:,} bad row(s) {said}[/yellow]")
        raise typer.Exit(1 if strict else EXIT_QUARANTINED)


def print_json(text: str) -> None:
    sys.stdout.write(text + "\n")
