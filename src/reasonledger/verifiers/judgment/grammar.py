"""Strict verdict grammars: what a judge's output must look like to count as a verdict.

A judge that answers anything else gets a `parse_failure` verdict, never a pass: a lenient parser
("does the text contain 'correct' anywhere?") is exactly what a one-token attack exploits. Two kinds:

- `final_line`: the output's last non-empty line (surrounding `*` of Markdown bold and whitespace
  removed) must match exactly one label's pattern in full. Used by reasonledger's own templates.
- `search_one`: exactly one label's pattern occurs somewhere in the stripped output. Used to
  reproduce published judges whose authors parsed that way (LLMBar); an output where two labels
  occur is a parse failure, not the first label tried.

A pattern with a group gives a value (the integer of `Score: 7`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PARSE_FAILURE = "parse_failure"
Kind = Literal["final_line", "search_one"]


@dataclass(frozen=True)
class Parsed:
    """The label the output states (PARSE_FAILURE when none or several), its value, and why it failed."""

    label: str
    value: str | None = None
    problem: str | None = None

    @property
    def failed(self) -> bool:
        return self.label == PARSE_FAILURE


@dataclass(frozen=True)
class Grammar:
    kind: Kind
    labels: tuple[tuple[str, str], ...]  # (label, pattern), in the template's order

    def __post_init__(self) -> None:
        if self.kind not in ("final_line", "search_one"):
            raise ValueError(f"unknown grammar kind {self.kind!r}: final_line or search_one")
        if not self.labels:
            raise ValueError("a grammar needs at least one label")
        for label, pattern in self.labels:
            re.compile(pattern)
            if label == PARSE_FAILURE:
                raise ValueError(f"{PARSE_FAILURE!r} is not a label a judge may state")

    def parse(self, text: str | None) -> Parsed:
        text = (text or "").strip()
        if not text:
            return Parsed(PARSE_FAILURE, problem="empty output")
        if self.kind == "final_line":
            line = text.splitlines()[-1].strip().strip("*").strip()
            found = [(label, m) for label, p in self.labels if (m := re.fullmatch(p, line))]
            where = f"final line {line[:80]!r}"
        else:
            found = [(label, m) for label, p in self.labels if (m := re.search(p, text))]
            where = "output"
        if len(found) != 1:
            named = ", ".join(label for label, _ in found) or "no label"
            return Parsed(PARSE_FAILURE, problem=f"{where} states {named}; exactly one of "
                          f"{', '.join(label for label, _ in self.labels)} is required")
        label, match = found[0]
        return Parsed(label, match.group(1) if match.groups() else None)

    def describe(self) -> dict[str, object]:
        return {"kind": self.kind, "labels": {label: pattern for label, pattern in self.labels}}


__all__ = ["PARSE_FAILURE", "Grammar", "Parsed"]
