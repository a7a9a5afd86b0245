"""What every executor is: one function over many shard tasks, results as they complete. Steps
never know which executor runs them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, Protocol


# How many worker processes run this build's shards at once: a rate limit set in a recipe is the
# build's, so each worker's generator client takes its share of it.
WORKERS_ENV = "REASONLEDGER_WORKERS"


def worker_share() -> int:
    """How many workers this process shares the build's rate limits with (1 outside a pool)."""
    try:
        return max(1, int(os.environ.get(WORKERS_ENV, "1")))
    except ValueError:
        return 1


def join_pool(workers: int) -> None:
    """Run in each worker process as it starts: say how many workers share the build."""
    os.environ[WORKERS_ENV] = str(workers)


class ExecutorError(ValueError):
    """An executor cannot run: unknown name, bad option, or its cluster is unreachable."""


class Executor(Protocol):
    name: str

    def map_unordered(self, fn: Callable[[Any], Any], tasks: list[Any]) -> Iterator[Any]:
        """Results of fn(task) for each task, as they complete."""

    def close(self) -> None:
        """Release what the executor started (worker processes, a cluster session)."""
