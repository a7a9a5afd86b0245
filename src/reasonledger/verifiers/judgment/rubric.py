"""`rubric`: a response scored against rubric items, one judge verdict per item (or one call in all).

A rubric (the task's reference) is `{"question", "provenance": "human" | "model", "items": [...]}`,
each item `{id, title, description, weight, category, gate}`: an integer weight, negative for a
pitfall (a mistake the response must not make), and `gate: true` for an item that decides alone
(a positive gate not met, or a pitfall gate hit, scores 0).

- `explicit` aggregation (default): each item is judged on its own (`rubric_item` template, one call
  per item, one verdict per item with target `rubric:<id>`); the score is the sum of the weights of
  the items met over the sum of the positive weights, clipped to [0, 1], and 0 when a gate fails.
  Any item the judge answers outside the grammar makes the whole score a `parse_failure` (0): an
  unreadable pitfall must not count as avoided.
- `implicit`: one call with every item (`rubric_all`), the judge's 1-10 score mapped to [0, 1].

The verdict passes when the score reaches `pass_threshold`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reasonledger.records.model import Verdict
from reasonledger.verifiers.answers import after_reasoning
from reasonledger.verifiers.judgment.base import Judged, JudgmentVerifier
from reasonledger.verifiers.judgment.spec import JudgeSpec, template_by

_TEMPLATE_BY_AGGREGATION = {"explicit": "rubric_item", "implicit": "rubric_all"}


class RubricItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(..., min_length=1)
    title: str
    description: str = ""
    weight: int
    category: str = ""
    gate: bool = False

    @field_validator("weight")
    @classmethod
    def _nonzero(cls, weight: int) -> int:
        if weight == 0:
            raise ValueError("a rubric item's weight is a non-zero integer (negative for a pitfall)")
        return weight

    def favourable(self, met: bool) -> bool:
        """Is the item's outcome in the response's favour (a positive item met, a pitfall avoided)?"""
        return met if self.weight > 0 else not met


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = ""
    provenance: Literal["human", "model"]
    items: list[RubricItem] = Field(..., min_length=1)

    @model_validator(mode="after")
    def _check(self) -> "Rubric":
        ids = [item.id for item in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError(f"rubric item ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
        if not any(item.weight > 0 for item in self.items):
            raise ValueError("a rubric needs at least one item with a positive weight (the score divides by their sum)")
        return self


def rubric_score(rubric: Rubric, met: dict[str, bool]) -> tuple[float, list[str]]:
    """(score, failed gates): weighted sum of met items / sum of positive weights, clipped to [0, 1];
    0 when a gate item is not in the response's favour."""
    failed = [item.id for item in rubric.items if item.gate and not item.favourable(met[item.id])]
    if failed:
        return 0.0, failed
    positive = sum(item.weight for item in rubric.items if item.weight > 0)
    raw = sum(item.weight for item in rubric.items if met[item.id]) / positive
    return min(1.0, max(0.0, raw)), []


class RubricConfig(JudgeSpec):
    aggregation: Literal["explicit", "implicit"] = "explicit"
    template: str = ""
    pass_threshold: float = Field(0.5, ge=0, le=1)
    response_chars: int = Field(6_000, gt=0, description="how much of the response's end the judge sees")

    _template_for_aggregation = template_by("aggregation", _TEMPLATE_BY_AGGREGATION, "explicit")


def _listing(rubric: Rubric) -> str:
    return "\n".join(f"- [{item.id}] weight {item.weight:+d}{', gate' if item.gate else ''}"
                     f"{', ' + item.category if item.category else ''}: {item.title}. {item.description}".rstrip()
                     for item in rubric.items)


class RubricVerifier(JudgmentVerifier):
    """Scores a response against a rubric with a model judge: one verdict per item and their aggregate."""

    id = "rubric"
    version = "1.1.0"  # 1.1.0: the verdicts on the items reach the record and the verdict cache
    Spec = RubricConfig
    card_fields = {"formats": {"reference": "{question, provenance: human|model, items: [{id, title, description, "
                                            "weight (int, negative = pitfall), category, gate}]}", "response": "text"},
                   "native_signal": ("explicit: one verdict per item (target rubric:<id>) and the score sum(weights of "
                                     "met items) / sum(positive weights), clipped to [0, 1], 0 when a gate fails; "
                                     "implicit: the judge's 1-10 mapped to [0, 1]")}

    def verdicts_many(self, pairs: Iterable[tuple[Any, str]]) -> list[list[Verdict]]:
        """Per pair: one verdict per item (`rubric:<id>`, explicit only) and the aggregate last (target `answer`)."""
        spec: RubricConfig = self.spec  # type: ignore[assignment]
        jobs: list[tuple[Rubric, str | None]] = []
        conversations: list[list[dict[str, str]]] = []
        for reference, response in pairs:
            rubric = Rubric.model_validate(reference)
            shown = (after_reasoning(response) or "").strip()[-spec.response_chars:] or None
            jobs.append((rubric, shown))
            if shown is None:
                continue
            if spec.aggregation == "explicit":
                conversations += [self.template.render(question=rubric.question, response=shown, title=item.title,
                                                       description=item.description) for item in rubric.items]
            else:
                conversations.append(self.template.render(question=rubric.question, response=shown,
                                                          rubric=_listing(rubric)))
        asked = iter(self.ask(conversations))
        out = []
        for rubric, shown in jobs:
            base = {"provenance": rubric.provenance, "items": len(rubric.items)}
            if shown is None:
                out.append([self.verdict(False, 0.0, reason="no_answer", **base, **self.evidence(None))])
            elif spec.aggregation == "explicit":
                out.append(self._explicit(rubric, [next(asked) for _ in rubric.items], base))
            else:
                out.append([self._implicit(next(asked), base)])
        return out

    def _explicit(self, rubric: Rubric, judged: list[Judged], base: dict[str, Any]) -> list[Verdict]:
        spec: RubricConfig = self.spec  # type: ignore[assignment]
        verdicts = []
        for item, j in zip(rubric.items, judged):
            met = None if j.failed else j.label == "MET"
            facts = {"met": met, "weight": item.weight, "category": item.category, "gate": item.gate,
                     "pitfall": item.weight < 0, "provenance": rubric.provenance, **self.evidence(j)}
            if met is None:
                verdicts.append(self.verdict(False, 0.0, target=f"rubric:{item.id}", reason="parse_failure", **facts))
            else:
                verdicts.append(self.verdict(item.favourable(met), target=f"rubric:{item.id}", **facts))
        failed = [item.id for item, j in zip(rubric.items, judged) if j.failed]
        summary = {**base, "requests": [j.reply.request for j in judged], **self.identity(), "calls": len(judged)}
        if failed:
            verdicts.append(self.verdict(False, 0.0, reason="parse_failure", unparsed_items=failed, **summary))
            return verdicts
        met = {item.id: j.label == "MET" for item, j in zip(rubric.items, judged)}
        score, gates = rubric_score(rubric, met)
        passed = score >= spec.pass_threshold
        verdicts.append(self.verdict(passed, score, met=met, failed_gates=gates,
                                     reason=None if passed else ("gate" if gates else "below_threshold"), **summary))
        return verdicts

    def _implicit(self, judged: Judged, base: dict[str, Any]) -> Verdict:
        spec: RubricConfig = self.spec  # type: ignore[assignment]
        if judged.failed:
            return self.verdict(False, 0.0, reason="parse_failure", **base, **self.evidence(judged))
        score = (int(judged.value or 1) - 1) / 9
        passed = score >= spec.pass_threshold
        return self.verdict(passed, score, judge_score=int(judged.value or 1),
                            reason=None if passed else "below_threshold", **base, **self.evidence(judged))

    def verify_many(self, pairs: Iterable[tuple[Any, str]]) -> list[Verdict]:
        return [verdicts[-1] for verdicts in self.verdicts_many(pairs)]


__all__ = ["Rubric", "RubricConfig", "RubricItem", "RubricVerifier", "rubric_score"]
