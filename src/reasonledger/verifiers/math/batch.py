"""`verify_many`'s parallel lane: plain worker subprocesses, kept warm, fed chunks from one loop.

Why not a `ProcessPoolExecutor`: its children re-import the caller's `__main__` (a script without
a main guard, or `python -`, died with BrokenProcessPool), and an executor still alive at
interpreter exit races CPython's exit hook against its own manager thread, which printed
"Exception ignored ... OSError: [Errno 9] Bad file descriptor" after successful runs. These
workers are `python -m reasonledger.verifiers.math.worker verify` subprocesses (see pool.py):
they import nothing of the caller, can be started from any thread, and stop at exit with their
pipes.

Starting a worker costs about a second of CPU, more than a small batch takes in-process, so a
batch goes to workers only when it is large (`COLD_MIN` pairs while none is running) or when
warm workers are idle (`WARM_MIN`). While workers start, the calling thread verifies chunks
itself, and it keeps doing so while fewer workers than cores are ready; each check there is
bounded exactly as in `verify` (limits.py, killable sympy workers). A worker that dies or
outlives its chunk's budget is killed and its chunk verified in-process.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any

from reasonledger.verifiers.math.pool import Worker
from reasonledger.verifiers.math.limits import COLD_MIN

WARM_MIN = 256  # pairs worth sending to workers that are already running
START_GRACE = 60.0  # seconds a worker may take to import before it is given up
last_run: dict[str, int] = {}  # chunks verified by workers and in the calling thread, in the latest `run`


class BatchPool:
    """Idle `verify` workers of this process, shared by every MathVerifier; taken and given back per call."""

    def __init__(self) -> None:
        self._idle: list[Worker] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _own(self) -> None:
        if os.getpid() != self._pid:  # a forked child must not use its parent's pipes
            self._idle, self._pid = [], os.getpid()

    def idle(self) -> int:
        with self._lock:
            self._own()
            return len(self._idle)

    def take(self, want: int, start: bool) -> list[Worker]:
        """Up to `want` idle workers (ready or still starting); with `start`, new ones make up the rest."""
        with self._lock:
            self._own()
            got, self._idle = self._idle[:want], self._idle[want:]
        while start and len(got) < want:
            try:
                got.append(Worker(None, "verify"))
            except OSError:
                break
        return got

    def give_back(self, workers: list[Worker]) -> None:
        with self._lock:
            self._own()
            self._idle.extend(workers)

    def close(self) -> None:
        with self._lock:
            workers, self._idle = self._idle, []
        for w in workers:
            w.stop()


_POOL = BatchPool()
atexit.register(_POOL.close)


def shared_batch_pool() -> BatchPool:
    return _POOL


def use_workers(n: int, cores: int, pool: bool | None) -> bool:
    """Whether a batch of `n` pairs goes to workers (`pool` forces the answer when not None)."""
    if pool is not None:
        return pool and cores > 1 and n > 0
    return cores > 1 and (n >= COLD_MIN or (n >= WARM_MIN and _POOL.idle() > 0))


def run(pairs: list[tuple[Any, str]], config: dict[str, Any], local: Callable[[Any, str], Any],
        cores: int, chunk: int, chunk_seconds: float) -> list[Any]:
    """Verdicts of `pairs` in order: chunks to worker processes, and to `local` while workers are short."""
    spans = deque(range(0, len(pairs), chunk))  # chunks for any lane
    mine: deque[int] = deque()  # chunks a worker failed on: verified in-process
    results: dict[int, list[Any]] = {}
    workers = _POOL.take(cores, start=True)
    busy: dict[Worker, tuple[int, float]] = {}  # worker -> (chunk start, deadline)
    started = time.monotonic()
    here = 0
    try:
        while spans or mine or busy:
            for w in workers:
                if w.ready and w not in busy and spans:
                    i = spans.popleft()
                    try:
                        w.tx.send(("verify_chunk", (config, pairs[i : i + chunk])))
                    except OSError:
                        mine.append(i)
                        w.kill()
                        continue
                    busy[w] = (i, time.monotonic() + chunk_seconds)
            workers = [w for w in workers if not w.rx.closed]
            if mine or (spans and sum(w.ready for w in workers) < cores):
                i = mine.popleft() if mine else spans.popleft()  # this thread is a lane while workers are short
                results[i] = [local(r, p) for r, p in pairs[i : i + chunk]]
                here += 1
                _collect(workers, busy, results, mine, started, block=False)
            else:
                _collect(workers, busy, results, mine, started, block=True)
    finally:
        for w in busy:
            w.kill()  # interrupted mid-chunk: its reply must not reach the next call
        _POOL.give_back([w for w in workers if not w.rx.closed and w not in busy])
    last_run.update(chunks=len(results), here=here)
    return [v for i in sorted(results) for v in results[i]]


def _collect(workers: list[Worker], busy: dict[Worker, tuple[int, float]], results: dict[int, list[Any]],
             mine: deque[int], started: float, block: bool) -> None:
    """Read what workers sent (a chunk's verdicts or a ready frame); a failed worker's chunk goes to `mine`."""
    listening = {w.rx: w for w in workers if w in busy or not w.ready}
    if not listening:
        return
    timeout = 0.0
    if block:
        starting = [started + START_GRACE] if any(not w.ready for w in workers) else []
        timeout = max(0.0, min([d for _, d in busy.values()] + starting) - time.monotonic())
    for conn in wait(list(listening), timeout):
        w = listening[conn]
        try:
            if not w.ready:
                w.mark_ready()
                continue
            status, value = conn.recv()
        except (EOFError, OSError):
            _fail(w, busy, mine)
            continue
        i, _ = busy.pop(w)
        if status == "ok":
            results[i] = value
        else:
            mine.append(i)
    now = time.monotonic()
    for w in workers:
        if (w in busy and now > busy[w][1]) or (not w.ready and now > started + START_GRACE):
            _fail(w, busy, mine)


def _fail(w: Worker, busy: dict[Worker, tuple[int, float]], mine: deque[int]) -> None:
    w.kill()
    if w in busy:
        mine.append(busy.pop(w)[0])
