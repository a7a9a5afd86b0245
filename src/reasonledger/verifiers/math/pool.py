"""A small pool of worker processes for sympy, with a hard deadline: a late worker is killed.

Python cannot stop a thread that is busy in sympy (or in a huge integer operation), and
SIGALRM works only on the main thread of the main interpreter. A separate process can always
be killed. Each worker serves one job at a time over a pipe; the caller waits on the pipe for
the time it has left and, if the answer is late, kills the worker and reports a timeout.

Workers are plain subprocesses (`python -m reasonledger.verifiers.math.worker`), not
multiprocessing children: they never re-import the caller's `__main__`, and they can be started
from any thread and from daemonic processes. A worker imports sympy once when it starts; the
pool's first start-up is not counted against a check's budget. Later start-ups (more workers, or
the replacement of a killed one, begun the moment it is killed) run in the background: a check
waits for a worker only within its own budget, so no check outlasts its time limit.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any


def _worker_env() -> dict[str, str]:
    import reasonledger

    src = str(Path(reasonledger.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([src] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


class Worker:
    """One worker subprocess of `kind` ("symbolic", "verify" or "reasoning_gym"), spoken to over framed pipes.

    With `grace` the constructor waits for the worker's ready frame (killing it after `grace`
    seconds); without, the caller polls `rx` for it and calls `mark_ready`. `module` is the entry
    point run with `python -m` (the trainer rewards' workers speak the same frames)."""

    __slots__ = ("proc", "rx", "tx", "ready")

    def __init__(self, grace: float | None = None, kind: str = "symbolic",
                 module: str = "reasonledger.verifiers.math.worker") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, kind],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=_worker_env(), close_fds=True,
        )
        stdin, stdout = self.proc.stdin, self.proc.stdout
        if stdin is None or stdout is None:  # pragma: no cover - PIPE always gives both
            raise OSError("worker pipes missing")
        self.tx = Connection(os.dup(stdin.fileno()), readable=False)
        self.rx = Connection(os.dup(stdout.fileno()), writable=False)
        stdin.close()
        stdout.close()
        self.ready = False
        if grace is not None:
            if not self.rx.poll(grace):
                self.kill()
                raise TimeoutError(f"sympy worker did not start within {grace:.0f} s")
            self.mark_ready()

    def mark_ready(self) -> None:
        """Read the ready frame (the caller saw `rx` readable)."""
        self.rx.recv()
        self.ready = True

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(1.0)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for c in (self.rx, self.tx):
            try:
                c.close()
            except OSError:
                pass

    def stop(self) -> None:
        """Ask the worker to finish (a None frame), then make sure it has."""
        try:
            self.tx.send(None)
        except OSError:
            pass
        self.kill()


class SymbolicPool:
    """Up to `size` workers of `kind` (see worker.py); `run` returns ("ok", value), ("timeout", message)
    or ("error", message)."""

    def __init__(self, size: int | None = None, startup_grace: float = 60.0, kind: str = "symbolic") -> None:
        self.size = size or os.cpu_count() or 1
        self.kind = kind
        self.startup_grace = startup_grace
        self._idle: list[Worker] = []
        self._count = 0  # workers idle, busy or starting
        self._warm = False  # a first worker has started: later start-ups happen in the background
        self._closed = False
        self._cond = threading.Condition()
        self._pid = os.getpid()
        self.kills = 0

    def _reset_after_fork(self) -> None:
        if os.getpid() != self._pid:  # a forked child must not share its parent's pipes
            self._idle, self._count, self._warm, self._pid = [], 0, False, os.getpid()

    def _acquire(self, deadline: float) -> tuple[Worker | None, float]:
        """An idle worker (waiting for one at most until `deadline`), and the seconds a start-up took.

        Only the pool's first start-up is waited for outside the deadline (importing sympy is not a
        check's cost); later ones run in the background, so a check never waits past its budget."""
        with self._cond:
            self._reset_after_fork()
            self._closed = False
            while not self._idle:
                if self._count < self.size:
                    self._count += 1
                    if not self._warm:
                        break
                    self._spawn_in_background()
                left = deadline - time.monotonic()
                if left <= 0 or not self._cond.wait(left):
                    return None, 0.0
            if self._idle:
                return self._idle.pop(), 0.0
        t0 = time.monotonic()
        worker = self._start()
        with self._cond:
            self._warm = True
        return worker, time.monotonic() - t0

    def _start(self) -> Worker:
        """A new worker for a slot already counted; on failure the slot is given back."""
        try:
            return Worker(self.startup_grace, self.kind)
        except Exception:
            with self._cond:
                self._count = max(0, self._count - 1)
                self._cond.notify_all()
            raise

    def _spawn_in_background(self) -> None:
        """Start a worker for a counted slot on a daemon thread; it joins the idle list when ready."""
        def start() -> None:
            try:
                worker = self._start()
            except (TimeoutError, OSError):
                return
            with self._cond:
                if not self._closed:
                    self._idle.append(worker)
                    self._cond.notify_all()
                    return
            worker.kill()

        threading.Thread(target=start, name="sympy-worker-start", daemon=True).start()

    def _release(self, worker: Worker | None) -> None:
        """Give a worker back; None after a kill, and then a replacement starts in the background at once."""
        with self._cond:
            if worker is not None:
                self._idle.append(worker)
            elif self._warm and not self._closed:
                self._spawn_in_background()  # the killed worker's slot stays counted
            else:
                self._count = max(0, self._count - 1)
            self._cond.notify_all()

    def run(self, name: str, args: tuple[Any, ...], timeout: float) -> tuple[str, Any]:
        """Run symbolic.`name`(*args) in a worker; kill it if it has not answered within `timeout` s."""
        t0 = time.monotonic()
        try:
            worker, startup = self._acquire(t0 + timeout)
        except (TimeoutError, OSError) as exc:
            return "error", str(exc)
        if worker is None:
            return "timeout", "no sympy worker free in time"
        deadline = t0 + timeout + startup
        try:
            worker.tx.send((name, args))
            if worker.rx.poll(max(0.0, deadline - time.monotonic())):
                status, value = worker.rx.recv()
                self._release(worker)
                return status, value
        except (EOFError, OSError):
            worker.kill()
            self._release(None)
            return "error", "sympy worker died"
        worker.kill()
        self.kills += 1
        self._release(None)
        return "timeout", f"sympy gave no answer within {timeout:.2f} s; its worker was killed"

    def close(self) -> None:
        """Stop the idle workers; workers still starting stop when they are ready."""
        with self._cond:
            workers, self._idle = self._idle, []
            self._count = 0
            self._closed = True
        for w in workers:
            w.stop()


_POOLS: dict[str, SymbolicPool] = {}
_POOL_LOCK = threading.Lock()


def shared_pool(kind: str = "symbolic") -> SymbolicPool:
    """One pool of each kind per process, created on first use."""
    with _POOL_LOCK:
        pool = _POOLS.get(kind)
        if pool is None or pool._pid != os.getpid():
            pool = _POOLS[kind] = SymbolicPool(kind=kind)
            atexit.register(pool.close)
        return pool
