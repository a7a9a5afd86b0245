"""reasoning-gym's scorers by task name, loaded once; also the handlers of the `reasoning_gym` worker
kind (verifiers/math/worker.py), where the scorers that run sympy's simplify are called so that a
late one can be killed.

Only answers that passed `reasoning_gym_safety` reach a worker, so nothing there runs model code;
the worker is locked down all the same (no new privileges, a memory cap, and where the kernel
offers them a Landlock view that reads only the interpreter's own files (`lockdown.interpreter_paths`)
with no write and no TCP, and the code sandbox's seccomp deny-list), so a grammar mistake could not
read the user's files or data, write anything, or reach the network.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from reasonledger import gym

WORKER_MEMORY = 4 << 30  # bytes of address space for one worker: sympy needs well under 1 GiB


@lru_cache(maxsize=None)
def scorer(dataset: str) -> Callable[..., float]:
    return gym.load(what="the reasoning_gym verifier").get_score_answer_fn(dataset)


def score(dataset: str, answer: str, entry: dict[str, Any]) -> float:
    """The task scorer's float for one answer (run in a worker for the slow tasks)."""
    return float(scorer(dataset)(answer, entry))


def worker_handlers(slow: frozenset[str]) -> dict[str, Callable[..., Any]]:
    """The worker's jobs, after loading the `slow` tasks' scorers and locking the process down; a worker
    that cannot lock itself down scores nothing (each job fails, saying why)."""
    import reasonledger
    from reasonledger.verifiers.code import lockdown

    for dataset in slow:
        scorer(dataset)
    try:  # reads narrowed to the interpreter's own files: an answer that slipped the grammar reads no data
        lockdown.lock_down_process(WORKER_MEMORY, read_paths=tuple(lockdown.interpreter_paths(reasonledger.__file__)))
    except OSError as exc:
        problem = f"the worker could not lock itself down ({exc}); nothing is scored in it"

        def refuse(*args: Any) -> float:
            raise RuntimeError(problem)
        return {"score": refuse}
    return {"score": score}
