"""Entry point of one worker process (`python -m reasonledger.verifiers.math.worker KIND`).

KIND `symbolic` (sympy, for `pool.SymbolicPool`), `verify` (chunks of `verify_many`, for
`batch.py`) or `reasoning_gym` (the reasoning-gym scorers that run sympy's simplify). Reads (function name, args) frames on stdin, answers ("ok", value) or ("error",
message) on stdout, one job at a time, until stdin closes or a None frame arrives. The parent
kills it when an answer is late; nothing here needs to be interruptible. A plain subprocess,
not a multiprocessing child, so it never imports the caller's `__main__`. The trainer rewards'
workers (`reward_workers.py`) answer their frames through the same `open_pipes` and `serve`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


def _handlers(kind: str) -> Any:
    if kind == "verify":
        from reasonledger.verifiers.math import verifier

        return {"verify_chunk": verifier.verify_chunk}
    if kind == "reasoning_gym":
        from reasonledger.verifiers import reasoning_gym_safety, reasoning_gym_scorers

        return reasoning_gym_scorers.worker_handlers(reasoning_gym_safety.SLOW)
    from reasonledger.verifiers.math import symbolic

    return {"compare": symbolic.compare, "hold": symbolic.hold}


def open_pipes() -> tuple[Connection, Connection]:
    """A worker's ends of its frames (stdin to read, stdout to write); from here on, what the worker
    prints goes to stderr, so nothing but frames reaches the parent's pipe."""
    rx = Connection(os.dup(0), writable=False)
    tx = Connection(os.dup(1), readable=False)
    sys.stdout = sys.stderr
    return rx, tx


def serve(rx: Connection, tx: Connection, handle: Callable[[str, Any], Any]) -> None:
    """Say ready, then answer each (name, args) frame with ("ok", handle(name, args)) or ("error",
    why), one job at a time, until stdin closes or a None frame arrives."""
    tx.send(("ready", os.getpid()))
    while True:
        try:
            msg = rx.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        name, args = msg
        try:
            tx.send(("ok", handle(name, args)))
        except Exception as exc:  # noqa: BLE001 - report and serve the next job
            tx.send(("error", f"{type(exc).__name__}: {exc}"))


def main() -> None:
    rx, tx = open_pipes()
    handlers = _handlers(sys.argv[1] if len(sys.argv) > 1 else "symbolic")
    serve(rx, tx, lambda name, args: handlers[name](*args))


if __name__ == "__main__":
    main()
