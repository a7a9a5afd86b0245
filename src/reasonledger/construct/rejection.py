"""`rejection_sample`: SFT traces from the verified-correct rollouts of each rollout set.

Each trace's parent is the rollout set; its meta names the rollout index it came from and its
verdict is that rollout's verdict, moved to target `answer`. The rollout set itself is kept by
default (`keep_input`), so every trace's parent is in the released data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reasonledger.construct.derived import (
    RolloutSetStep, derived_event, derived_lineage, inherited_generation, moved, record_rng)
from reasonledger.engine.step import StepContext, register_step
from reasonledger.records.model import Kind, Record, Verdict
from reasonledger.records.targets import rollout_verdicts, split_by_verdict


class RejectionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    select: Literal["first", "shortest", "random", "all"] = Field(
        "first", description="first = policy sample order; shortest = fewest characters; random = seeded")
    k: int = Field(1, gt=0, description="traces per prompt (ignored by `all`)")
    verifier: str | None = None
    seed: int = 0
    keep_input: bool = True


def choose(indices: list[int], lengths: dict[int, int], select: str, k: int, rng: Any) -> list[int]:
    if select == "all":
        return indices
    if select == "shortest":
        return sorted(indices, key=lambda j: (lengths[j], j))[:k]
    if select == "random":
        return sorted(rng.sample(indices, min(k, len(indices))))
    return indices[:k]


@register_step
class RejectionSample(RolloutSetStep):
    name = "rejection_sample"
    Params = RejectionParams

    def _trace(self, rollout_set: Record, j: int, verdict: Verdict, ctx: StepContext) -> Record:
        rollout = (rollout_set.behaviour.rollouts or [])[j]
        reasoning = rollout.meta.get("reasoning")
        answer = rollout.answer if rollout.answer is not None else verdict.evidence.get("extracted")
        return Record(
            kind=Kind.trace, task=rollout_set.task,
            behaviour={"trace": reasoning or rollout.response, "response": rollout.response,
                       "answer": None if answer is None else str(answer)},
            verdicts=[moved(verdict, "answer", rollout=j)],
            lineage=derived_lineage(rollout_set, derived_event(self, ctx, seed=self.params.seed)),
            meta={"rollout_set": rollout_set.id, "rollout_index": j, "rollout": rollout.meta,
                  "selection": self.params.select, **inherited_generation(rollout_set)},
        )

    def each(self, record: Record, ctx: StepContext) -> Iterator[Record]:
        p = self.params
        verdicts = rollout_verdicts(record, p.verifier)
        passed, _ = split_by_verdict(verdicts)
        if p.keep_input:
            yield record
        if not passed:
            if p.keep_input:
                ctx.count("no_correct_rollout")
            else:
                ctx.drop(record, "no_correct_rollout", "no rollout passed its verifier")
            return
        lengths = {j: len((record.behaviour.rollouts or [])[j].response) for j in passed}
        for j in choose(passed, lengths, p.select, p.k, record_rng(p.seed, record, self.name)):
            ctx.count("traces")
            yield self._trace(record, j, verdicts[j], ctx)
