"""What the commands share: the console, the quarantine exit code, error reporting, progress."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

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


def run_faults() -> tuple[type[Exception], ...]:
    """What a run of verifiers or generators stops on that the operator mends, not a bug: an environment
    that is not set up, a replay file that does not answer, the judge-call bound reached. Every command
    that runs them says these in one line (exit 1), never as a traceback. Imported when a command runs,
    so the CLI starts without loading the verifiers."""
    from reasonledger.generation.backends.replay import ReplayError
    from reasonledger.verifiers.environments.base import EnvironmentUnavailable
    from reasonledger.verifiers.judgment.budget import JudgeCallLimit

    return (EnvironmentUnavailable, ReplayError, JudgeCallLimit)


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


T = TypeVar("T")


class Ticker:
    """A transient progress bar over a stream of records, shown only once the work has taken
    `after` seconds (short runs stay quiet), never with --quiet or when stderr is not a terminal."""

    def __init__(self, description: str, quiet: bool = False, after: float = 1.0, out: Console = console) -> None:
        self.description, self.after, self.console = description, after, out
        self.enabled = not quiet and out.is_terminal
        self.count = 0
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> "Ticker":
        self._started = time.monotonic()
        return self

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            yield item
            self.advance()

    def advance(self, n: int = 1) -> None:
        self.count += n
        if not self.enabled:
            return
        if self._progress is None:
            if time.monotonic() - self._started < self.after:
                return
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      TextColumn("{task.completed:,} records"), TimeElapsedColumn(),
                                      console=self.console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task(escape(self.description), total=None)
        self._progress.update(self._task, completed=self.count)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def print_json(text: str) -> None:
    sys.stdout.write(text + "\n")
