"""`self_consistency`: when a prompt has no reference, the majority answer of its rollouts becomes a
pseudo-label, and every rollout gets a verdict against it with label source `consensus`.

Answers are grouped by a verifier's notion of equality (`exact` by default, `math` for
equivalent expressions), so "0.5" and "1/2" vote together when the verifier says they are equal.
A tie for first place, or a majority below `min_share`, gives no label: the record is dropped
with reason `no_consensus` rather than labelled by a coin flip. The new reference says where it
came from: {"answer": ..., "label_source": "consensus", "votes": v, "n": n}.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reasonledger.construct.derived import RolloutSetStep, derived_event, derived_lineage
from reasonledger.engine.step import StepContext, register_step
from reasonledger.records.model import Kind, Record, Verdict, VerifierSpec, canonical_json
from reasonledger.records.targets import rollout_target
from reasonledger.verifiers import Verifier, get_verifier
from reasonledger.verifiers.answers import DEFAULT_RULES, extract_answer
from reasonledger.verifiers.judgment.consent import check_judgment

VERSION = "2.0.0"


def extract(text: str, rule: str) -> str | None:
    """The final answer a response states; None when it states none. Read by the extractor every
    verifier uses (`verifiers.answers`): `stated` with its default rules (<answer>, \\boxed{}, "the
    answer is", "Answer:", ####, an answer-statement final line), `answer_tag` only an <answer> block."""
    return extract_answer(text, ("answer_tag",) if rule == "answer_tag" else DEFAULT_RULES).answer


class ConsistencyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extract: Literal["stated", "answer_tag"] = "stated"
    verifier: str = Field("exact", description="decides whether two answers are the same")
    config: dict = Field(default_factory=dict)
    min_share: float = Field(0.5, gt=0, le=1, description="the majority's share of all rollouts must reach this")


def clusters(answers: list[str | None], same: Verifier) -> list[list[int]]:
    """Rollout indices grouped by answer equality (first member is the representative)."""
    groups: list[list[int]] = []
    for j, answer in enumerate(answers):
        if answer is None:
            continue
        for group in groups:
            if same.verify(answers[group[0]], answer).passed:
                group.append(j)
                break
        else:
            groups.append([j])
    return groups


@register_step
class SelfConsistency(RolloutSetStep):
    name = "self_consistency"
    Params = ConsistencyParams

    def versions(self) -> dict[str, str]:
        from reasonledger.verifiers import verifier_class

        return {self.name: VERSION, self.params.verifier: verifier_class(self.params.verifier).version}

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.params.model_dump(mode="json")).encode()).hexdigest()[:16]

    def each(self, record: Record, ctx: StepContext) -> Iterator[Record]:
        if record.task.reference is not None:
            ctx.count("has_reference")
            yield record
            return
        if not hasattr(self, "_same"):
            check_judgment(self.params.verifier, self.params.config)  # a model judge only with the operator's consent
            self._same = get_verifier(self.params.verifier, **self.params.config)
        labelled = self._label(record, self._same, ctx)
        if labelled is not None:
            yield labelled

    def _label(self, record: Record, same: Verifier, ctx: StepContext) -> Record | None:
        rollouts = record.behaviour.rollouts or []
        answers = [r.answer if r.answer is not None else extract(r.response, self.params.extract) for r in rollouts]
        groups = sorted(clusters(answers, same), key=len, reverse=True)
        n = len(rollouts)
        tally = [f"{answers[g[0]]!r} x{len(g)}" for g in groups]
        if not groups or (len(groups) > 1 and len(groups[0]) == len(groups[1])):
            ctx.drop(record, "no_consensus", f"no single most common answer among {n}: {', '.join(tally) or 'none extracted'}")
            return None
        majority, votes = answers[groups[0][0]], len(groups[0])
        if votes / n < self.params.min_share:
            ctx.drop(record, "no_consensus", f"majority {majority!r} has {votes}/{n} votes, below {self.params.min_share}")
            return None
        winners = set(groups[0])
        verdicts = [Verdict(verifier=self.name, version=VERSION, config_hash=self.config_hash, target=rollout_target(j),
                            score=float(j in winners), passed=j in winners, label_source="consensus",
                            evidence={"answer": answers[j], "majority": majority, "votes": votes, "n": n,
                                      "equality": f"{same.id}@{same.version}",
                                      **({} if answers[j] is not None else {"reason": "no answer extracted"})})
                    for j in range(n)]
        ctx.count("labelled")
        task = record.task.model_copy(update={
            "reference": {"answer": majority, "label_source": "consensus", "votes": votes, "n": n},
            "verifier": record.task.verifier or VerifierSpec(name=same.id, config=self.params.config)})
        return Record(kind=Kind.rollout_set, task=task, behaviour=record.behaviour,
                      verdicts=[*record.verdicts, *verdicts],
                      lineage=derived_lineage(record, derived_event(self, ctx)),
                      meta={**record.meta, "consensus": {"answer": majority, "votes": votes, "n": n, "clusters": tally}})
