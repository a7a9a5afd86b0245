"""Running a list of steps over a record stream, with per-step in/out counts and per-step seeds."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Literal

from reasonledger.engine.step import Step, StepContext, StepStats
from reasonledger.records.model import Record


def derived_seed(*parts: object) -> int:
    """A seed for one step on one shard that depends only on the recipe seed and where it runs."""
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big") >> 1


def batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """The records in lists of `size` (the last one shorter), for steps that work a batch at a time."""
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def step_label(index: int, step: Step) -> str:
    return f"{index:02d}-{step.name}"


def _counted_in(records: Iterator[Record], stats: StepStats) -> Iterator[Record]:
    for record in records:
        stats.records_in += 1
        yield record


def _counted_out(records: Iterator[Record], stats: StepStats) -> Iterator[Record]:
    for record in records:
        stats.records_out += 1
        yield record


def run_steps(records: Iterator[Record], steps: list[tuple[int, Step]], ctx: StepContext,
              shard: int | Literal["all"]) -> Iterator[Record]:
    """Chain `steps` (with their recipe indices) over `records`; each step's stats land in `ctx.stats`."""
    for index, step in steps:
        view = ctx.for_step(step_label(index, step), derived_seed(ctx.seed, index, shard))
        records = _counted_out(step.process(_counted_in(records, view.mine), view), view.mine)
    return records


def stages(steps: list[Step]) -> list[tuple[Literal["record", "global"], list[tuple[int, Step]]]]:
    """Group steps into stages: runs of record-scope steps, each global step on its own.

    Stage 0 is always a record stage, since it also reads the sources.
    """
    grouped: list[tuple[Literal["record", "global"], list[tuple[int, Step]]]] = [("record", [])]
    for index, step in enumerate(steps):
        if step.scope == "record" and grouped[-1][0] == "record":
            grouped[-1][1].append((index, step))
        else:
            grouped.append((step.scope, [(index, step)]))
    return grouped
