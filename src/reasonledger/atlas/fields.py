"""What kind of statement an atlas value is: a fact, an open question, or a placeholder.

The atlas mixes findings with curators' open questions ("Which repositories dominate ...?") and
placeholders ("unknown", empty); anything quoted from it must say which it is, so that a question
is never shown as a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

ValueKind = Literal["fact", "question", "placeholder"]

PLACEHOLDERS = frozenset({"", "unknown", "tbd", "todo", "n/a", "na", "none", "null", "?", "-", "unspecified",
                          "not reported", "not specified", "unclear"})
# To-do phrasings the curators used where a value belongs ("Check official artifact license before reuse.").
_TODO = re.compile(r"^(check|verify|confirm|tbd|todo|needs?)(\b|_)", re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^(which|what|who|whom|whose|why|where|when|how|whether|is|are|was|were|do|does|did|can|could|should|"
    r"would|will|has|have|had)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Tagged:
    """One atlas value with its kind; `value` is kept exactly as the atlas holds it."""

    value: Any
    kind: ValueKind

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "kind": self.kind}


def classify(value: Any) -> ValueKind:
    """Placeholder: missing, empty, 'unknown', 'TBD' or a to-do. Question: ends in '?' or is phrased
    as one. A list is a fact only when all its items are facts (else the weakest kind wins)."""
    if value is None:
        return "placeholder"
    if isinstance(value, bool | int | float):
        return "fact"
    if isinstance(value, list | tuple):
        kinds = {classify(v) for v in value}
        if not value or kinds == {"placeholder"}:
            return "placeholder"
        return "question" if "question" in kinds else "placeholder" if "placeholder" in kinds else "fact"
    if isinstance(value, dict):
        return classify(list(value.values()))
    text = str(value).strip()
    if text.lower().rstrip(".") in PLACEHOLDERS or _TODO.match(text):
        return "placeholder"
    if text.endswith("?") or _QUESTION_START.match(text):
        return "question"
    return "fact"


def tag(value: Any) -> Tagged:
    return Tagged(value, classify(value))


def facts(values: list[Any]) -> list[Any]:
    """The items of a list that are facts (a failure-mode list may mix findings and questions)."""
    return [v for v in values if classify(v) == "fact"]
