"""Executors run one function over many shard tasks. Steps never know which executor runs them."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
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


def _join_pool(workers: int) -> None:
    os.environ[WORKERS_ENV] = str(workers)


class ExecutorError(ValueError):
    """An executor cannot run: unknown name, bad option, or its cluster is unreachable."""


class Executor(Protocol):
    name: str

    def map_unordered(self, fn: Callable[[Any], Any], tasks: list[Any]) -> Iterator[Any]:
        """Results of fn(task) for each task, as they complete."""

    def close(self) -> None:
        """Release what the executor started (worker processes, a cluster session)."""


class LocalExecutor:
    """A process pool on this machine (the default). One worker runs inline, without a pool."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

    def map_unordered(self, fn: Callable[[Any], Any], tasks: list[Any]) -> Iterator[Any]:
        if self.workers == 1 or len(tasks) <= 1:
            for task in tasks:
                yield fn(task)
            return
        context = multiprocessing.get_context("forkserver")
        size = min(self.workers, len(tasks))
        with ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=_join_pool, initargs=(size,)) as pool:
            pending: set[Future[Any]] = {pool.submit(fn, task) for task in tasks}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()

    def close(self) -> None:
        """Nothing outlives `map_unordered`: its pool closes when the stage ends."""


def make_executor(name: str, workers: int | None = None, **options: Any) -> Executor:
    if name == "local":
        given = sorted(k for k, v in options.items() if v is not None)
        if given:
            raise ExecutorError(f"the local executor takes no {', '.join(given)}; did you mean --executor ray?")
        return LocalExecutor(workers)
    if name == "ray":
        from reasonledger.engine.ray_executor import RayExecutor

        return RayExecutor(workers, **options)
    raise ExecutorError(f"unknown executor {name!r}; available: local, ray")
