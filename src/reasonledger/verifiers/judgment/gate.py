"""The deterministic gate in front of a reference-equivalence judge: no answer, no call.

"One Token to Fool LLM-as-a-Judge" shows judges rewarding ":" or "Thought process:" against any
reference. Such a response states no answer, so the gate asks the shared extractor
(`verifiers/answers.py`) for the response's final answer before any model sees it: nothing found is
`fail` with reason `no_answer`; and when the reference is a number, a candidate with no digit in it
(a lone "解", "Yes", "CORRECT") is `fail` with reason `answer_shape`. Either way the judge is never
called, so the verdict costs nothing and cannot be talked into a pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reasonledger.verifiers.answers import DEFAULT_RULES, extract_answer

_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Gated:
    """The answer the judge will see, or the reason no judge is asked."""

    answer: str | None
    rule: str | None
    reason: str | None = None  # no_answer | answer_shape

    @property
    def passed(self) -> bool:
        return self.reason is None


def reference_answer(reference: Any) -> str:
    """The reference's answer text: a string, or a dict's `answer` (a GSM8K rationale is read after `####`)."""
    if isinstance(reference, dict):
        reference = reference.get("answer", reference.get("reference"))
    if reference is None:
        raise ValueError("the judge's reference has no answer: give a string or {'answer': ..., 'question': ...}")
    text = str(reference)
    if "####" in text:
        text = text.rsplit("####", 1)[1]
    return text.strip()


def gate(response: str, reference: str, rules: Sequence[str] = DEFAULT_RULES, shape: bool = True) -> Gated:
    """Extract the final answer by `rules`; refuse a missing one, and (with `shape`) a digit-less
    answer to a reference that has digits."""
    found = extract_answer(response, tuple(rules))
    if found.answer is None or not found.answer.strip():
        return Gated(None, found.rule, "no_answer")
    if shape and _DIGIT.search(reference) and not _DIGIT.search(found.answer):
        return Gated(found.answer, found.rule, "answer_shape")
    return Gated(found.answer, found.rule)


__all__ = ["Gated", "gate", "reference_answer"]
