"""The judge tier of decontamination: a model asked whether a training problem is a benchmark
problem, for the hits the relation rules leave ambiguous (see `quality/contamination.py`, `judge`).

As a verifier-shaped object: `verify(benchmark_text, training_text)` passes when the judge says SAME.
It is not registered as a task verifier: it judges pairs of problems, not responses. Its config
comes from a recipe's decontaminate step, so it runs only when the operator's config file allows
model judges (`limits.judgment`, `consent.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reasonledger.records.model import Verdict
from reasonledger.verifiers.judgment.base import JudgmentVerifier
from reasonledger.verifiers.judgment.spec import JudgeSpec
from reasonledger.verifiers.judgment.consent import JudgmentNotAllowed, judge_refusal


class SameProblemConfig(JudgeSpec):
    template: str = "same_problem"


class SameProblemJudge(JudgmentVerifier):
    """Passes when a model judge finds the two problems the same (reworded or renumbered)."""

    id = "same_problem"
    version = "1.0.0"
    Spec = SameProblemConfig

    def __init__(self, **config: Any) -> None:
        why = judge_refusal("the decontamination judge", config)
        if why is not None:
            raise JudgmentNotAllowed(why)
        super().__init__(**config)

    def verify_many(self, pairs: Iterable[tuple[Any, str]]) -> list[Verdict]:
        pairs = [(str(benchmark), str(training)) for benchmark, training in pairs]
        judged = self.ask([self.template.render(reference=b, response=t) for b, t in pairs])
        return [self.verdict(j.label == "SAME", reason=None if j.label == "SAME" else (
            "parse_failure" if j.failed else "different"), **self.evidence(j)) for j in judged]


__all__ = ["SameProblemConfig", "SameProblemJudge"]
