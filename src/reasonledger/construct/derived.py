"""What the derived-data steps share: building records that link back to the rollout set, the
rollout indices and the verdicts they were derived from (the verdicts on a rollout set are read
with `records.targets`)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from reasonledger.engine.pipeline import derived_seed
from reasonledger.engine.step import Step, StepContext
from reasonledger.records.model import Kind, LineageEvent, Record, Verdict


class RolloutSetStep(Step):
    """A step that works on rollout sets (`each`) and passes records of every other kind through."""

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        for record in records:
            if record.kind == Kind.rollout_set:
                yield from self.each(record, ctx)
            else:
                yield record

    def each(self, record: Record, ctx: StepContext) -> Iterator[Record]:
        raise NotImplementedError


def moved(verdict: Verdict, target: str, **evidence: Any) -> Verdict:
    """A copy of a rollout's verdict onto a derived record, under a new target, saying where it came from."""
    return verdict.model_copy(update={"target": target, "evidence": {**verdict.evidence, **evidence}})


def derived_event(step: Any, ctx: Any, **fields: Any) -> LineageEvent:
    return LineageEvent(stage=ctx.stage, step=step.name, params_hash=step.params_hash, **fields)


def derived_lineage(parent: Record, event: LineageEvent) -> dict[str, Any]:
    return {"parents": [parent.id], "events": [*parent.lineage.events, event]}


def record_rng(seed: int, record: Record, *parts: object) -> random.Random:
    """A random stream that depends on the step seed and the record, not on sharding or order."""
    return random.Random(derived_seed(seed, record.id, *parts))


def inherited_generation(record: Record) -> dict[str, Any]:
    """The rendered prompt a rollout set was generated from, for a derived record's meta."""
    generation = record.meta.get("generation")
    return {"generation": generation} if generation else {}
