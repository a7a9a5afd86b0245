"""Which files a recipe may read: those in its own folder, unless the user (never a recipe) allows more."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

ALLOW_OUTSIDE_ENV = "REASONLEDGER_ALLOW_OUTSIDE_PATHS"  # set by `build --allow-outside-paths`


def outside_paths_allowed() -> bool:
    """Whether the user (command line, environment or config file, never a recipe) lets a recipe
    read files outside its own folder."""
    from reasonledger.userconfig import load_user_config

    return os.environ.get(ALLOW_OUTSIDE_ENV, "") not in ("", "0") or load_user_config().allow_outside_paths


def check_inside(base_dir: Path, paths: Iterable[Path], key: str) -> None:
    """Refuse recipe paths that lead outside the recipe's folder once `..` and symlinks are followed:
    a shared recipe must not read `/etc/...` or `~/.ssh/...` into a release (bad lines are copied
    into its quarantine), unless the user allows it for this build."""
    if outside_paths_allowed():
        return
    root = base_dir.resolve()
    for path in paths:
        if not path.resolve().is_relative_to(root):
            raise ValueError(f"{key}: {path} is outside the recipe's folder {root}; a recipe reads only files in "
                             "its own folder unless you allow more: `reasonledger build --allow-outside-paths`, "
                             f"{ALLOW_OUTSIDE_ENV}=1, or `allow_outside_paths: true` in your reasonledger config file")


__all__ = ["ALLOW_OUTSIDE_ENV", "check_inside", "outside_paths_allowed"]
