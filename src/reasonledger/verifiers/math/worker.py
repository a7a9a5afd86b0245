"""Entry point of one sympy worker process (`python -m reasonledger.verifiers.math.worker`).

Reads (function name, args) frames on stdin, answers ("ok", value) or ("error", message) on
stdout, one job at a time, until stdin closes or a None frame arrives. The parent kills it when
an answer is late; nothing here needs to be interruptible.
"""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection


def main() -> None:
    rx = Connection(os.dup(0), writable=False)
    tx = Connection(os.dup(1), readable=False)
    sys.stdout = sys.stderr  # nothing but frames may reach the parent's pipe
    from reasonledger.verifiers.math import symbolic

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
            tx.send(("ok", getattr(symbolic, name)(*args)))
        except Exception as exc:  # noqa: BLE001 - report and serve the next job
            tx.send(("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    main()
