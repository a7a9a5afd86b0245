"""Executors run one function over many shard tasks: `local` (a process pool, the default) or `ray`."""

from __future__ import annotations

from typing import Any

from reasonledger.engine.executors.base import Executor, ExecutorError, worker_share
from reasonledger.engine.executors.local import LocalExecutor

EXECUTORS = ("local", "ray")


def make_executor(name: str, workers: int | None = None, **options: Any) -> Executor:
    """The executor called `name`; Ray's module is imported only when a Ray build asks for it."""
    if name == "local":
        given = sorted(k for k, v in options.items() if v is not None)
        if given:
            raise ExecutorError(f"the local executor takes no {', '.join(given)}; did you mean --executor ray?")
        return LocalExecutor(workers)
    if name == "ray":
        from reasonledger.engine.executors.ray import RayExecutor

        return RayExecutor(workers, **options)
    raise ExecutorError(f"unknown executor {name!r}; available: {', '.join(EXECUTORS)}")


__all__ = ["EXECUTORS", "Executor", "ExecutorError", "LocalExecutor", "make_executor", "worker_share"]
