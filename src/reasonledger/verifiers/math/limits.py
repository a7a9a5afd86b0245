"""Hard bounds on the work one check may do.

A verifier that can hang is worse than one that is sometimes wrong: a single `9999999!` in a
rollout batch would stall a whole RL step. Every in-process stage is therefore bounded up front
(answer length, nesting depth, sizes of powers and factorials, numbers of terms) so that it
finishes in milliseconds, and the one stage whose cost cannot be bounded by inspection, sympy,
runs in a worker process that is killed when its time is up (see `pool.py`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

COLD_MIN = 4_000  # a batch worth starting verify_many's workers for (about 1 s of CPU each on a 2-core machine)


class Pathological(Exception):
    """The input is too large or too deep to be checked within the limits; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OutOfTime(Exception):
    """The check's deadline passed."""


@dataclass(frozen=True)
class Limits:
    """The bounds; every one of them is part of the verifier's config (and so of its hash)."""

    max_response_chars: int = 400_000  # free-form model output (long reasoning traces are normal)
    max_answer_chars: int = 2_000  # one extracted answer; a 10,000-character expression is not an answer
    max_depth: int = 40  # bracket nesting of one answer (deep radicals, towers)
    max_int_bits: int = 200_000  # exact integers beyond this are not computed (2^200000 has 60k digits)
    max_exponent: int = 100_000  # |exponent| of any power that is evaluated
    max_factorial: int = 10_000  # n! is computed exactly up to this n
    max_terms: int = 10_000  # terms of a \sum / \prod that is expanded
    max_items: int = 64  # elements of a set, tuple or list
    max_tokens: int = 1_500


class Deadline:
    """A monotonic deadline that long loops poll; cheap enough to call often."""

    __slots__ = ("end",)

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise OutOfTime("time limit reached")


_OPEN = "([{"
_CLOSE = ")]}"


def precheck_answer(text: str, limits: Limits) -> None:
    """Reject an extracted answer that is too long or nested too deeply, in linear time."""
    if len(text) > limits.max_answer_chars:
        raise Pathological(f"answer is {len(text):,} characters long (limit {limits.max_answer_chars:,})")
    depth = 0
    worst = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
            if depth > worst:
                worst = depth
        elif ch in _CLOSE:
            depth -= 1
    # \sqrt\sqrt\sqrt... without braces nests just as deeply
    sqrt_run = text.count("\\sqrt")
    if worst > limits.max_depth:
        raise Pathological(f"nesting depth {worst} exceeds {limits.max_depth}")
    if sqrt_run > limits.max_depth:
        raise Pathological(f"{sqrt_run} radicals exceed the limit of {limits.max_depth}")
