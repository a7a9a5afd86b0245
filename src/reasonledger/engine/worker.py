"""What one worker process keeps between shards: the instantiated recipe, each step set up once.

A step is set up (`Step.setup`) the first time this process runs it for a run, and closed when the
process ends (a pool worker at the end of its stage, a Ray actor when the executor closes, after a
failed stage too) or, for shards run inline in the driver, when the build ends (`close_worker`). So a verifier pool or a
generator client is built once per step per worker process, not once per shard.
"""

from __future__ import annotations

import multiprocessing.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasonledger.engine.pipeline import step_label
from reasonledger.engine.recipe import Recipe, instantiate
from reasonledger.engine.step import Step, StepContext


@dataclass
class Loaded:
    sources: list[Any]
    steps: list[Step]
    ready: set[int] = field(default_factory=set)  # indices of the steps set up in this process


_LOADED: dict[str, Loaded] = {}
_finalizer: multiprocessing.util.Finalize | None = None


def load(recipe_json: dict[str, Any], base_dir: str, run_dir: str) -> Loaded:
    """The recipe's sources and steps in this process, instantiated once per run."""
    global _finalizer
    recipe = Recipe.model_validate(recipe_json)
    key = f"{recipe.digest}:{base_dir}:{run_dir}"  # other files beside the recipe read other data; another run, other caches
    if key not in _LOADED:
        _LOADED[key] = Loaded(*instantiate(recipe, Path(base_dir)))
        if _finalizer is None:  # run as the process ends (multiprocessing workers and Ray actors alike)
            _finalizer = multiprocessing.util.Finalize(None, close_worker, exitpriority=10)
    return _LOADED[key]


def ready_steps(loaded: Loaded, indices: list[int], ctx: StepContext) -> list[tuple[int, Step]]:
    """The steps at `indices`, each set up first if this process has not yet; what setup builds is
    counted in `ctx` (the shard that set it up)."""
    for index in indices:
        if index not in loaded.ready:
            step = loaded.steps[index]
            step.setup(ctx.for_step(step_label(index, step), ctx.seed))
            loaded.ready.add(index)
    return [(index, loaded.steps[index]) for index in indices]


def close_worker() -> None:
    """Close every step this process set up, and forget the instantiated recipes."""
    loaded = list(_LOADED.values())
    _LOADED.clear()
    for entry in loaded:
        for index in sorted(entry.ready):
            entry.steps[index].close()


__all__ = ["Loaded", "close_worker", "load", "ready_steps"]
