"""The local executor: a process pool on this machine, the default."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from reasonledger.engine.executors.base import join_pool


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
        with ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=join_pool, initargs=(size,)) as pool:
            pending: set[Future[Any]] = {pool.submit(fn, task) for task in tasks}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()

    def close(self) -> None:
        """Nothing outlives `map_unordered`: its pool closes when the stage ends."""
