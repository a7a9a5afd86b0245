"""Step segmentation: where a response is cut into steps, as character spans, so that the prefix
through step i is exactly `response[:span_i.end]` and the rule that cut it can be recorded."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator


class Segmentation(BaseModel):
    """`lines`: each non-blank line; `paragraphs`: blocks split by blank lines; `regex`: a step
    starts at each match of `pattern` (text before the first match is a step of its own)."""

    model_config = ConfigDict(extra="forbid")
    rule: Literal["lines", "paragraphs", "regex"] = "lines"
    pattern: str | None = None

    @model_validator(mode="after")
    def _pattern(self) -> "Segmentation":
        if self.rule == "regex":
            if not self.pattern:
                raise ValueError("pattern: the regex rule needs a pattern, e.g. '(?m)^Step \\d+'")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern: not a regular expression: {exc}") from None
        return self


def _starts(text: str, seg: Segmentation) -> list[int]:
    if seg.rule == "lines":
        return [m.start() for m in re.finditer(r"(?m)^(?=[^\S\n]*\S)", text)]
    if seg.rule == "paragraphs":
        first = len(text) - len(text.lstrip())
        return [first, *(m.end() for m in re.finditer(r"\n[^\S\n]*\n\s*", text))]
    assert seg.pattern is not None
    starts = [m.start() for m in re.finditer(seg.pattern, text)]
    if not starts or text[: starts[0]].strip():
        starts.insert(0, 0)
    return starts


def segment(text: str, seg: Segmentation) -> list[tuple[int, int]]:
    """Spans (start, end) of the steps; each end is the next step's start (the last is len(text)),
    so a prefix keeps the separator after its last step and a continuation starts a new step."""
    starts = sorted(set(_starts(text, seg)))
    spans = [(s, e) for s, e in zip(starts, [*starts[1:], len(text)]) if text[s:e].strip()]
    return spans


def step_texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[s:e].strip() for s, e in spans]
