"""What the derived-data steps share: reading a rollout set's verdicts, and building records that
link back to the rollout set, the rollout indices and the verdicts they were derived from."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from reasonledger.engine.pipeline import derived_seed
from reasonledger.engine.step import Step, StepContext
from reasonledger.records.model import Kind, LineageEvent, Record, Verdict
from reasonledger.records.targets import rollout_index


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


def rollout_verdicts(record: Record, verifier: str | None = None) -> dict[int, Verdict]:
    """The verdict on each rollout: the latest one by `verifier`, or by the verifier that judged
    the rollouts last when none is named (so two verifiers' verdicts are never mixed)."""
    judged = [(rollout_index(v.target), v) for v in record.verdicts]
    judged = [(j, v) for j, v in judged if j is not None]
    if not judged:
        return {}
    name = verifier or judged[-1][1].verifier
    return {j: v for j, v in judged if v.verifier == name}


def split_by_verdict(verdicts: dict[int, Verdict]) -> tuple[list[int], list[int]]:
    """(indices of rollouts that passed, indices that failed) of `rollout_verdicts`, in sample order."""
    passed = sorted(j for j, v in verdicts.items() if v.passed)
    failed = sorted(j for j, v in verdicts.items() if not v.passed)
    return passed, failed


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
