"""A CPU-time limit on one call, in this process: a task generator that runs for minutes on one item
must not stall its shard, and running each item elsewhere (a subprocess per item) would cost more
than the generation itself.

CPU time, not wall time, so whether an item is cut off does not depend on how loaded the machine is
or how many workers share it. The call is interrupted where Python code runs next: in the main thread
by SIGPROF (when nothing else uses that signal), in any other thread by a watchdog thread that reads
the caller's CPU clock and raises the exception in it. Neither stops a single long C call (a huge
integer power, say) before it returns; reasoning-gym's slow items are pure-Python loops.
"""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
POLL_S = 0.05  # how often the watchdog reads the caller's CPU clock


class TimeLimitExceeded(BaseException):
    """The call used up its CPU time. A BaseException, like KeyboardInterrupt, so that a generator's
    own `except Exception` cannot swallow it and run on."""


def call_with_time_limit(fn: Callable[[], T], seconds: float | None) -> T:
    """fn(), or TimeLimitExceeded once it has used `seconds` of CPU time (None: no limit).

    A call that finishes just as the limit passes may still count as exceeded."""
    if seconds is None:
        return fn()
    if _profiling_timer_free():
        return _with_timer(fn, seconds)
    return _with_watchdog(fn, seconds)


def _profiling_timer_free() -> bool:
    """SIGPROF can be ours: we are the main thread, and no other handler or timer is set."""
    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGPROF) in (signal.SIG_DFL, signal.SIG_IGN)
            and signal.getitimer(signal.ITIMER_PROF)[0] == 0)


def _with_timer(fn: Callable[[], T], seconds: float) -> T:
    """ITIMER_PROF counts this process's CPU time; a worker process generates in its main thread."""
    armed = [True]  # a signal handled after the call ended (Python runs handlers late) does nothing

    def on_timer(signum: int, frame: object) -> None:
        if armed[0]:
            armed[0] = False
            raise TimeLimitExceeded(seconds)

    previous = signal.signal(signal.SIGPROF, on_timer)
    try:
        signal.setitimer(signal.ITIMER_PROF, seconds)
        try:
            return fn()
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_PROF, 0)
    finally:
        signal.signal(signal.SIGPROF, previous)


def _cpu_clock(thread_id: int) -> Callable[[], float]:
    """That thread's CPU clock, or wall time where the platform has none (macOS, Windows)."""
    if hasattr(time, "pthread_getcpuclockid"):
        clock = time.pthread_getcpuclockid(thread_id)
        return lambda: time.clock_gettime(clock)
    return time.monotonic


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    """Raise `exc` in that thread at its next bytecode (None clears a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else None)


def _with_watchdog(fn: Callable[[], T], seconds: float) -> T:
    caller = threading.get_ident()
    clock = _cpu_clock(caller)
    deadline = clock() + seconds
    finished = threading.Event()
    lock = threading.Lock()
    state = ["armed"]  # armed -> fired (watchdog) or done (caller), under the lock

    def watch() -> None:
        while not finished.wait(POLL_S):
            try:
                spent = clock()
            except OSError:  # the caller has just finished and gone
                return
            if spent >= deadline:
                with lock:
                    if state[0] == "armed":
                        state[0] = "fired"
                        _set_async_exc(caller, TimeLimitExceeded)
                return

    threading.Thread(target=watch, name="generation-time-limit", daemon=True).start()
    try:
        return fn()
    finally:
        finished.set()
        with lock:
            fired, state[0] = state[0] == "fired", "done"
        if fired:  # the exception may still be pending: clear it and raise it here, not in the caller's caller
            _set_async_exc(caller, None)
            raise TimeLimitExceeded(seconds)
