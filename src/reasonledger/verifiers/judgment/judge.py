"""`judge`: does a response's answer match the reference? A model decides, after a deterministic gate.

Modes:
- `equivalence` (default): the final answer is extracted with the shared rules first (`gate.py`);
  no answer, or a digit-less answer to a numeric reference, fails with zero model calls. The judge
  sees the question, the reference, the end of the response and the extracted answer, and must end
  with `Final Decision: CORRECT | INCORRECT | INVALID` (INVALID: incomplete, repetitive, refusing).
- `response`: for answers no rule can extract (proofs, explanations), the judge compares the whole
  visible response with the reference; only an empty response is refused without a call.

Anything but one of the three decisions is a `parse_failure` verdict, which never passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, field_validator

from reasonledger.records.model import Verdict
from reasonledger.verifiers.answers import after_reasoning
from reasonledger.verifiers.judgment.base import JudgmentVerifier
from reasonledger.verifiers.judgment.gate import gate, reference_answer
from reasonledger.verifiers.judgment.spec import DEFAULT_EXTRACTION, JudgeSpec, check_rules, template_by

_TEMPLATE_BY_MODE = {"equivalence": "equivalence", "response": "free_form"}
_OUTCOME = {"CORRECT": None, "INCORRECT": "incorrect", "INVALID": "invalid"}


class JudgeConfig(JudgeSpec):
    mode: Literal["equivalence", "response"] = "equivalence"
    template: str = ""
    extraction_rules: list[str] = Field(default_factory=lambda: list(DEFAULT_EXTRACTION))
    shape_check: bool = Field(True, description="equivalence: a numeric reference needs a candidate with a digit")
    response_chars: int = Field(2_000, gt=0, description="how much of the response's end the judge sees")

    _template_for_mode = template_by("mode", _TEMPLATE_BY_MODE, "equivalence")
    _rules = field_validator("extraction_rules")(classmethod(lambda cls, v: check_rules(v)))


def _question(reference: Any) -> str:
    return str(reference.get("question") or "") if isinstance(reference, dict) else ""


class JudgeVerifier(JudgmentVerifier):
    """Passes when a model judge finds the response's final answer equivalent to the reference."""

    id = "judge"
    version = "1.0.0"
    Spec = JudgeConfig
    card_fields = {
        "formats": {"reference": "the answer as a string, or {answer, question}; a GSM8K rationale is read after ####",
                    "response": "text; equivalence mode reads its final answer with the shared extraction rules"},
        "native_signal": ("the judge's CORRECT / INCORRECT / INVALID (1.0 or 0.0); a gate refusal, an output outside "
                          "the grammar or a failed call is 0.0 with its reason"),
        "known_false_positives": ("a judge can be talked into CORRECT by text inside the response (probe it: "
                                  "`reasonledger audit --judge-probes`)"),
        "known_false_negatives": ("equivalence mode: answers written in words for a numeric reference ('eighteen') "
                                  "fail the shape check; answers no extraction rule reads fail as no_answer")}

    def verify_many(self, pairs: Iterable[tuple[Any, str]]) -> list[Verdict]:
        spec: JudgeConfig = self.spec  # type: ignore[assignment]
        verdicts: list[Verdict | None] = []
        asks: list[tuple[int, list[dict[str, str]], dict[str, Any]]] = []
        for reference, response in pairs:
            answer = reference_answer(reference)
            visible = after_reasoning(response)
            shown = (visible or "").strip()[-spec.response_chars:]
            if spec.mode == "equivalence":
                gated = gate(response, answer, spec.extraction_rules, spec.shape_check)
                facts = {"extracted": gated.answer, "rule": gated.rule}
                if not gated.passed:
                    verdicts.append(self.verdict(False, reason=gated.reason, **facts, **self.evidence(None)))
                    continue
                values = {"answer": gated.answer}
            else:
                facts = {"extracted": None, "rule": None}
                if not shown:
                    verdicts.append(self.verdict(False, reason="no_answer", **facts, **self.evidence(None)))
                    continue
                values = {}
            messages = self.template.render(question=_question(reference), reference=answer, response=shown, **values)
            asks.append((len(verdicts), messages, facts))
            verdicts.append(None)
        for (index, _, facts), judged in zip(asks, self.ask([m for _, m, _ in asks])):
            reason = "parse_failure" if judged.failed else _OUTCOME[judged.label]
            verdicts[index] = self.verdict(reason is None, reason=reason, **facts, **self.evidence(judged))
        return verdicts  # type: ignore[return-value]


__all__ = ["JudgeConfig", "JudgeVerifier"]
