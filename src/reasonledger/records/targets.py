"""What a verdict judged (its `target`): the record's answer, its reference, rollout j, step i, or the
chosen or rejected side of a pair. One spelling of each, written and read here."""

from __future__ import annotations

ROLLOUT = "rollout:"


def rollout_target(j: int) -> str:
    """The target of the verdict on rollout `j` of a rollout set."""
    return f"{ROLLOUT}{j}"


def rollout_index(target: str) -> int | None:
    """j for a `rollout:j` target, None for any other target."""
    if target.startswith(ROLLOUT):
        tail = target[len(ROLLOUT):]
        return int(tail) if tail.isdigit() else None
    return None
