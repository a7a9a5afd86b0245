"""The trainer rewards' worker processes: a large batch judged on every core this process may use.

Scoring is Python, so one process uses one core. A trainer calls the batch reward every step, so
the workers start on the first batch worth spreading (`MIN_JOBS` distinct jobs) and are kept: their
start-up is paid once (`stats`). Each is a plain subprocess (`python -m reasonledger.reward_workers MODULE`),
started by exec as multiprocessing's spawn does but without re-importing the caller's `__main__`,
so it can be started from any thread, a Ray actor or a daemonic process, and a threaded trainer is
never forked.

A worker judges model output only after locking itself down (`verifiers.code.lockdown.lock_down_process`:
no new privileges, a memory cap, read-only Landlock without TCP, the code sandbox's seccomp deny-list;
/dev/null stays writable for the stderr of the sympy workers its verifiers start). Its reads are the
whole tree, not narrowed to the interpreter's files as the reasoning_gym sympy worker's are: its
verifiers read the operator's config file on first use. One that cannot lock down sends its reason
instead of its ready frame and the batch is judged in the calling process (a warning says why). That lock-down leaves no
network and no namespaces, so only the verifiers needing neither go to workers (`LANE_VERIFIERS`).
A worker that dies or fails raises `RewardWorkerError`: a batch never returns a partial or guessed score.
"""

from __future__ import annotations

import atexit
import importlib
import os
import subprocess
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from reasonledger.verifiers.math.pool import Worker
from reasonledger.verifiers.math.worker import open_pipes, serve

ENV = "REASONLEDGER_REWARD_WORKERS"  # worker count; 0 or 1: judge every batch in the calling process
DEFAULT_MAX = 8  # workers by default: the cores this process may use, at most this many (memory)
MIN_JOBS = 512  # distinct jobs below which a batch is judged in the calling process (measured, benchmarks/README.md)
MAX_CHUNK = 2048  # jobs a chunk: below the math verifier's own worker threshold (limits.COLD_MIN), so no nesting
CHUNKS_PER_WORKER = 1  # chunks a worker (each chunk looks its verifiers up: 2 a worker cost 10% more wall clock, measured)
WORKER_MEMORY = 4 << 30  # bytes of address space a worker: its verifiers, sympy's included, need well under 1 GiB
START_GRACE = 60.0  # seconds a worker may take to import and lock itself down
LANE_VERIFIERS = frozenset({"exact", "math", "reasoning_gym"})  # need neither network nor namespaces
stats: dict[str, Any] = {}  # started, startup_seconds, batches: what the pool cost in this process


class RewardWorkerError(RuntimeError):
    """A reward worker died or failed; the batch has no scores."""


def worker_count(asked: int | None = None) -> int:
    """Workers for a batch: `asked`, else $REASONLEDGER_REWARD_WORKERS, else the cores this process may
    use (at most DEFAULT_MAX); below 2 the batch stays in the calling process."""
    if asked is None:
        raw = os.environ.get(ENV, "").strip()
        if not raw:
            return min(len(os.sched_getaffinity(0)), DEFAULT_MAX)
        try:
            asked = int(raw)
        except ValueError:
            raise ValueError(f"${ENV}={raw!r}: give a whole number of worker processes (0 or 1 turns them off)") from None
    if int(asked) < 0:
        raise ValueError(f"reward workers: {asked} is negative; give 0 or 1 to turn them off, or a count")
    return int(asked)


class _Pool:
    """This process's reward workers; one batch at a time uses them (another thread's batch runs in-process)."""

    def __init__(self) -> None:
        self.workers: list[Worker] = []
        self.lock = threading.Lock()
        self.refused: str | None = None  # why workers cannot run here (they could not lock down, or start)
        self.pid = os.getpid()

    def _own(self) -> None:
        if os.getpid() != self.pid:  # a forked child must not use its parent's pipes
            self.workers, self.refused, self.pid = [], None, os.getpid()

    def _grow(self, want: int, preload: str) -> bool:
        """Start workers up to `want` (each imports module `preload` before locking down), waiting for
        their ready frames; False (and `refused`) when they cannot."""
        new = [Worker(None, preload, __name__) for _ in range(want - len(self.workers))]
        t0, deadline = time.monotonic(), time.monotonic() + START_GRACE
        waiting = {w.rx: w for w in new}
        try:
            while waiting:
                ready = wait(list(waiting), max(0.0, deadline - time.monotonic()))
                if not ready:
                    raise OSError(f"a reward worker did not start within {START_GRACE:.0f} s")
                for conn in ready:
                    w = waiting.pop(conn)
                    kind, detail = conn.recv()
                    if kind != "ready":
                        raise OSError(detail)
                    w.ready = True
        except (OSError, EOFError) as exc:
            for w in new:
                w.kill()
            self.refused = f"reward workers not used in this process: {exc or 'a worker exited at start-up'}"
            warnings.warn(self.refused + "; batches are judged in the calling process", RuntimeWarning, stacklevel=4)
            return False
        self.workers += new
        stats["started"] = stats.get("started", 0) + len(new)
        stats["startup_seconds"] = stats.get("startup_seconds", 0.0) + time.monotonic() - t0
        return True

    def run(self, target: str, chunks: list[list[Any]], args: tuple[Any, ...], want: int) -> list[Any] | None:
        """`target`(chunk, *args) for every chunk, in order, over `want` workers; None when they are busy
        with another thread's batch or cannot run here."""
        if not self.lock.acquire(blocking=False):
            return None
        try:
            self._own()
            if self.refused or (len(self.workers) < want and not self._grow(want, target.partition(":")[0])):
                return None
            return self._feed(self.workers[:want], target, chunks, args)
        finally:
            self.lock.release()

    def _feed(self, workers: list[Worker], target: str, chunks: list[list[Any]], args: tuple[Any, ...]) -> list[Any]:
        todo = deque(range(len(chunks)))
        results: dict[int, list[Any]] = {}
        busy: dict[Connection, tuple[Worker, int]] = {}
        try:
            while todo or busy:
                for w in workers:
                    if todo and all(w is not b for b, _ in busy.values()):
                        i = todo.popleft()
                        busy[w.rx] = (w, i)
                        self._talk(w, w.tx.send, ("judge", (target, chunks[i], *args)))
                for conn in wait(list(busy)):
                    w, i = busy.pop(conn)
                    status, value = self._talk(w, conn.recv)
                    if status != "ok":
                        raise RewardWorkerError(f"reward worker {w.proc.pid} failed on {len(chunks[i])} jobs: {value}")
                    results[i] = value
        except BaseException:
            self.close()  # a worker still busy would answer the next batch with this one's scores
            raise
        stats["batches"] = stats.get("batches", 0) + 1
        return [v for i in range(len(chunks)) for v in results[i]]

    @staticmethod
    def _talk(w: Worker, call: Callable[..., Any], *args: Any) -> Any:
        """`call`(*args) on `w`'s pipe; a broken pipe is the worker's death, said with its exit code."""
        try:
            return call(*args)
        except (EOFError, OSError) as exc:
            try:
                code: Any = w.proc.wait(5.0)
            except subprocess.TimeoutExpired:
                code = "none yet"
            raise RewardWorkerError(f"reward worker {w.proc.pid} died while judging a batch (exit code {code}; "
                                    f"{exc or type(exc).__name__}): no scores were returned; the workers are "
                                    "restarted on the next batch") from None

    def close(self) -> None:
        workers, self.workers = self.workers, []
        for w in workers:
            w.stop()


_POOL = _Pool()
atexit.register(_POOL.close)


def spread(target: str, jobs: list[Any], args: tuple[Any, ...], workers: int) -> list[Any] | None:
    """`target`'s results for `jobs`, in order, judged in chunks over `workers` worker processes;
    `target` ("module:function") is called as function(chunk, *args) in a worker and must return one
    result per job. None when the batch should be judged in the calling process instead (too small,
    workers turned off, busy or unable to run here)."""
    if workers < 2 or len(jobs) < MIN_JOBS:
        return None
    size = min(-(-len(jobs) // (workers * CHUNKS_PER_WORKER)), MAX_CHUNK)
    return _POOL.run(target, [jobs[at:at + size] for at in range(0, len(jobs), size)], args, workers)


def close() -> None:
    """Stop this process's reward workers (they also stop at exit, or when this process dies)."""
    _POOL.close()


# ------------------------------------------------------------------------------------------ the worker side


def _judge(target: str, chunk: list[Any], *args: Any) -> list[Any]:
    module, _, name = target.partition(":")
    fn: Callable[..., list[Any]] = getattr(importlib.import_module(module), name)
    return fn(chunk, *args)


def main() -> None:
    """A worker (`python -m reasonledger.reward_workers MODULE`): import MODULE, lock down, then answer
    ("judge", (target, chunk, *args)) frames until stdin closes."""
    rx, tx = open_pipes()
    from reasonledger.verifiers.code.lockdown import lock_down_process

    try:
        importlib.import_module(sys.argv[1])  # what the worker judges with, loaded before the lock-down
        lock_down_process(WORKER_MEMORY, rw_files=(os.devnull,))  # the sympy workers' stderr
    except (ImportError, OSError) as exc:
        tx.send(("refused", f"a worker could not load {sys.argv[1]} and lock itself down ({type(exc).__name__}: {exc})"))
        return
    serve(rx, tx, lambda _, args: _judge(*args))  # an error goes to the parent, which raises it


if __name__ == "__main__":
    main()
