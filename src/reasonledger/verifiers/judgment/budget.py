"""How many judge requests this run may still send: the operator's `limits.judgment.max_calls`.

Every judge client (`client.py`) reserves here, before the backend sees a batch, the requests its
request cache cannot answer, so what is counted is what reached a model. A build's N
worker processes each get `max_calls // N` (the executor says N, as it does for rate limits), so the
run as a whole never sends more than `max_calls`. A batch that would pass the limit is not sent at
all: `JudgeCallLimit` stops the step, saying how to raise the limit; verdicts already made are in the
run's verdict cache, so a resumed run asks only for the rest. The count lives as long as the process
(one run for `reasonledger build`; a trainer's reward worker counts for its whole training run).
No `max_calls` set: no bound (the operator's own judges, such as the math fallback, unless they set one).
"""

from __future__ import annotations

import threading

from reasonledger.engine.executors.base import worker_share
from reasonledger.userconfig import config_path
from reasonledger.verifiers.judgment.consent import judgment_limits

_LOCK = threading.Lock()
_SENT = [0]


class JudgeCallLimit(RuntimeError):
    """A judge batch would send more requests than the operator's `limits.judgment.max_calls` allows."""


def allowance() -> int | None:
    """The judge requests this process may send in all (None: unbounded)."""
    max_calls = judgment_limits().max_calls
    return None if max_calls is None else max_calls // worker_share()


def reserve(n: int) -> None:
    """Count `n` requests about to be sent, or raise JudgeCallLimit (sending none) if they do not fit."""
    limit = allowance()
    with _LOCK:
        if limit is not None and _SENT[0] + n > limit:
            workers = worker_share()
            share = (f" (its share of {judgment_limits().max_calls:,} over {workers} worker processes)"
                     if workers > 1 else "")
            raise JudgeCallLimit(
                f"judge call limit reached: this run may send {limit:,} judge requests{share} and has sent "
                f"{_SENT[0]:,}; the next batch needs {n:,}. Raise limits.judgment.max_calls in "
                f"{config_path() or '~/.config/reasonledger/config.yaml'} and resume: verdicts already made are "
                f"cached, and with $REASONLEDGER_JUDGE_CACHE set so are the judge's answers")
        _SENT[0] += n


def refund(n: int) -> None:
    """Give back `n` reserved requests that no model answered (the request cache did)."""
    with _LOCK:
        _SENT[0] = max(0, _SENT[0] - n)


def sent() -> int:
    """Judge requests this process has sent to a backend."""
    return _SENT[0]


def reset() -> None:
    """Start counting afresh (a new run in the same process, as tests do)."""
    with _LOCK:
        _SENT[0] = 0


__all__ = ["JudgeCallLimit", "allowance", "refund", "reserve", "reset", "sent"]
