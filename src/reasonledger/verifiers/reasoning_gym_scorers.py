"""reasoning-gym's scorers by task name, loaded once; also the entry point of the `reasoning_gym`
worker kind (verifiers/math/worker.py), where the scorers that run sympy's simplify are called
so that a late one can be killed."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from reasonledger import gym


@lru_cache(maxsize=None)
def scorer(dataset: str) -> Callable[..., float]:
    return gym.load(what="the reasoning_gym verifier").get_score_answer_fn(dataset)


def score(dataset: str, answer: str, entry: dict[str, Any]) -> float:
    """The task scorer's float for one answer (run in a worker for the slow tasks)."""
    return float(scorer(dataset)(answer, entry))
