"""`preference_pairs`: chosen = a verified-correct rollout, rejected = a verified-wrong rollout of
the same prompt. Both rollout indices are named in meta and both verdicts are copied onto the pair
(targets `chosen` and `rejected`), so a pair can always be traced to the rollouts behind it."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reasonledger.construct.derived import (
    RolloutSetStep, derived_event, derived_lineage, inherited_generation, moved, record_rng)
from reasonledger.engine.step import StepContext, register_step
from reasonledger.records.model import Kind, Record, Verdict
from reasonledger.records.targets import rollout_verdicts, split_by_verdict


class PairParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    select: Literal["first", "random", "all"] = Field(
        "first", description="first: i-th correct with i-th wrong, in sample order; random: seeded; all: every combination")
    pairs: int = Field(1, gt=0, description="pairs per prompt (ignored by `all`)")
    verifier: str | None = None
    seed: int = 0
    keep_input: bool = True


@register_step
class PreferencePairs(RolloutSetStep):
    name = "preference_pairs"
    Params = PairParams

    def _pairs(self, record: Record, passed: list[int], failed: list[int]) -> list[tuple[int, int]]:
        p = self.params
        if p.select == "all":
            return list(product(passed, failed))
        if p.select == "random":
            combos = list(product(passed, failed))
            return sorted(record_rng(p.seed, record, self.name).sample(combos, min(p.pairs, len(combos))))
        return list(zip(passed, failed))[: p.pairs]

    def _pair(self, record: Record, chosen: int, rejected: int, verdicts: dict[int, Verdict], ctx: StepContext) -> Record:
        rollouts = record.behaviour.rollouts or []
        return Record(
            kind=Kind.preference_pair, task=record.task,
            behaviour={"chosen": rollouts[chosen].response, "rejected": rollouts[rejected].response},
            verdicts=[moved(verdicts[chosen], "chosen", rollout=chosen), moved(verdicts[rejected], "rejected", rollout=rejected)],
            lineage=derived_lineage(record, derived_event(self, ctx, seed=self.params.seed)),
            meta={"rollout_set": record.id, "chosen_rollout": chosen, "rejected_rollout": rejected,
                  "chosen_meta": rollouts[chosen].meta, "rejected_meta": rollouts[rejected].meta,
                  **inherited_generation(record)},
        )

    def each(self, record: Record, ctx: StepContext) -> Iterator[Record]:
        verdicts = rollout_verdicts(record, self.params.verifier)
        passed, failed = split_by_verdict(verdicts)
        if self.params.keep_input:
            yield record
        if not passed or not failed:
            reason = "no_pair_all_correct" if passed else "no_pair_all_wrong" if failed else "no_pair_unverified"
            if self.params.keep_input:
                ctx.count(reason)
            else:
                ctx.drop(record, reason, "a pair needs one correct and one wrong rollout")
            return
        for chosen, rejected in self._pairs(record, passed, failed):
            ctx.count("pairs")
            yield self._pair(record, chosen, rejected, verdicts, ctx)
