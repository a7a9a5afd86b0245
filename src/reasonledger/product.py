"""A release: the engine's build of a recipe, then the card computed from what it made.

The engine stops at a `BuildResult` and knows nothing of cards; this is the one place that puts
the two together, for the `build` command and for anyone building from Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reasonledger.cards.release import write_release_card
from reasonledger.engine.accounting import check as check_losses
from reasonledger.engine.build import BuildResult
from reasonledger.engine.build import build as build_run
from reasonledger.engine.rundir import RunDir


def write_card(result: BuildResult) -> None:
    """Write the release card, then fail on losses over the recipe's bounds: the card shows the
    funnel that failed, and the error says where."""
    write_release_card(result.run_dir, result.recipe)
    check_losses(result.accounting, RunDir(result.run_dir).card / "card.md")


def build(recipe_path: Path | str, out: Path | str, overrides: list[str] | tuple[str, ...] = (),
          force: bool = False, executor: str = "local", workers: int | None = None,
          show_progress: bool = True, **executor_options: Any) -> BuildResult:
    """`reasonledger build`: run the recipe into `out` and write its release card into `out/card/`."""
    return build_run(recipe_path, out, overrides, force, executor, workers, show_progress, finish=write_card,
                     **executor_options)


__all__ = ["build", "write_card"]
