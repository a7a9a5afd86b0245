"""Trace–answer consistency: does the answer a trace states match the record's final-answer field?

A record can carry both a trace and a separate answer (a rollout's `answer`, a trace record's
`behaviour.answer`). When they disagree, whatever trains on the pair learns that the reasoning
does not matter. This audit reads the answer each trace states with the extractor every verifier
uses (`stated_answer`: `verifiers.answers` with its default rules: <answer> tags, \\boxed{},
"the answer is", "Answer:", "####", an answer-statement final line; never a number walked back
to), so it reads the answer a verifier would score, compares it with the field, and counts answers
that come with no trace at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reasonledger.records.model import Record
from reasonledger.records.targets import rollout_target
from reasonledger.verifiers.answers import DEFAULT_RULES, extract_answer
from reasonledger.verifiers.text import normalise


def stated_answer(text: str) -> tuple[str | None, str]:
    """(answer, rule that found it); (None, "none") when the text states no answer."""
    found = extract_answer(text, DEFAULT_RULES)
    return (found.answer, found.rule) if found.answer is not None else (None, "none")


def same_answer(a: str, b: str) -> bool:
    """Equal after normalisation, or equal as numbers (commas, `$` and a trailing `.0` ignored)."""
    na, nb = normalise(a), normalise(b)
    if na == nb:
        return True
    try:
        return float(na.replace(",", "").lstrip("$")) == float(nb.replace(",", "").lstrip("$"))
    except ValueError:
        return False


def _pairs(record: Record) -> list[tuple[str, str | None, str | None]]:
    """(target, trace text, answer field) for every part of the record that has either."""
    b = record.behaviour
    rows = [(rollout_target(j), r.response or None, r.answer) for j, r in enumerate(b.rollouts or [])]
    trace = b.trace or b.response or ("\n".join(s.text for s in b.steps) if b.steps else None)
    if trace is not None or b.answer is not None:
        rows.append(("answer", trace, b.answer))
    return rows


@dataclass
class ConsistencyAudit:
    max_examples: int = 20
    counts: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"inconsistent": [], "answer_without_trace": [],
                                                                                  "no_stated_answer": []})

    def _example(self, kind: str, **fields: Any) -> None:
        if len(self.examples[kind]) < self.max_examples:
            self.examples[kind].append(fields)

    def add(self, record: Record) -> None:
        for target, trace, answer in _pairs(record):
            self.counts["targets"] += 1
            if answer is not None and not (trace or "").strip():
                self.counts["answer_without_trace"] += 1
                self._example("answer_without_trace", record_id=record.id, target=target, answer=answer)
                continue
            if answer is None:
                self.counts["trace_without_answer_field"] += 1
                continue
            stated, rule = stated_answer(trace)
            self.rules[rule] += 1
            if stated is None:
                self.counts["no_stated_answer"] += 1
                self._example("no_stated_answer", record_id=record.id, target=target, answer=answer, trace_end=trace[-200:])
            elif same_answer(stated, answer):
                self.counts["consistent"] += 1
            else:
                self.counts["inconsistent"] += 1
                self._example("inconsistent", record_id=record.id, target=target, answer_field=answer,
                              stated=stated, rule=rule, trace_end=trace[-200:])

    def result(self) -> dict[str, Any]:
        checked = self.counts["consistent"] + self.counts["inconsistent"]
        applicable = checked + self.counts["answer_without_trace"] + self.counts["no_stated_answer"] > 0
        return {
            "applicable": applicable,
            "reason": None if applicable else f"no trace comes with a separate final-answer field "
                                              f"({self.counts['trace_without_answer_field']:,} traces without one)",
            "targets": self.counts["targets"],
            "checked": checked,
            "consistent": self.counts["consistent"],
            "inconsistent": self.counts["inconsistent"],
            "flagged": self.counts["inconsistent"] + self.counts["answer_without_trace"],
            "inconsistent_share": round(self.counts["inconsistent"] / checked, 4) if checked else None,
            "answer_without_trace": self.counts["answer_without_trace"],
            "no_stated_answer": self.counts["no_stated_answer"],
            "trace_without_answer_field": self.counts["trace_without_answer_field"],
            "extraction_rules": dict(sorted(self.rules.items())),
            "examples": self.examples,
        }
