"""Which relation a record bears to a benchmark item it resembles, decided on specific evidence.

Word overlap alone cannot tell a copied problem from a shared template: "Determine the remainder of
N (mod M)" shares every content word with dozens of independent problems, while a retold story
with new names and numbers shares only some. So the evidence is weighed by rarity, measured on
the benchmark's own items:

- the shared terms (content words and LaTeX commands, numbers masked) carry `shared_bits`, the
  sum of their inverse document frequencies (bits); `coverage` is the share of the item's bits
  the record repeats;
- `support` counts the benchmark items holding every shared term: a combination one item owns is
  specific, one many items hold is a template and proves nothing however complete the overlap;
- the mathematics beside the words: the item's quantities found in the record (`quantities_kept`,
  with number words read as numbers), how many quantities each has, and the question's target
  (the asking sentence's terms, weighted the same way).

Relations, strongest first: `verbatim` (n-gram containment with the item's quantities),
`reworded` (specific shared story, same quantities, same question), `renumbered` (specific shared
story and question, other quantities), `derived` (specific shared story, another question or
quantities asked the other way round), `template` (shared phrasing that is not specific).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from reasonledger.quality.paraphrase import _STOPWORDS, numbers

Relation = Literal["verbatim", "reworded", "renumbered", "derived", "template"]
RELATIONS: tuple[str, ...] = ("verbatim", "reworded", "renumbered", "derived", "template")  # strongest first
DEFAULT_DROP: tuple[str, ...] = ("verbatim", "reworded", "renumbered")

_TERM = re.compile(r"\\[a-zA-Z]+|[a-zA-Z]{3,}")
_SENTENCE = re.compile(r"(?<=[.?!])\s+|\n+")
_ASKING = re.compile(r"\?|^\s*(?:how|what|which|find|compute|determine|evaluate|calculate|express|simplify|solve|"
                     r"show|prove|give|if)\b", re.IGNORECASE)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def terms(text: str) -> frozenset[str]:
    """Content words (3+ letters, not stopwords) and LaTeX commands, lowercased; numbers are masked
    by leaving them out, so a renumbered copy keeps every term."""
    return frozenset(t for t in (m.lower() for m in _TERM.findall(text)) if t not in _STOPWORDS)


def question(text: str) -> str:
    """The asking sentence: the last one with a question mark or an asking verb (the whole text when none)."""
    sentences = [s for s in _SENTENCE.split(text.strip()) if s.strip()]
    asking = [s for s in sentences if _ASKING.search(s)]
    return asking[-1] if asking else text


def quantities_kept(item: str, record: str) -> tuple[float, int, int]:
    """(share of the item's quantities, as a multiset, found in the record; item count; record count)."""
    a, b = Counter(numbers(item)), Counter(numbers(record))
    total = sum(a.values())
    return (sum((a & b).values()) / total if total else 1.0), total, sum(b.values())


def shared_quantities(item: str, record: str) -> frozenset[str]:
    """The distinct quantities both hold, as terms of `Rarity` ("#12")."""
    return frozenset("#" + q for q in set(numbers(item)) & set(numbers(record)))


class Rarity:
    """Document frequencies of terms over a benchmark's items, and each term's posting list, so the
    support of a combination of terms (how many items hold all of them) is one intersection."""

    def __init__(self, texts: Sequence[str]) -> None:
        postings: dict[str, list[int]] = {}
        self.distinct: dict[str, int] = {}  # a problem the benchmark holds twice is one problem, not a template
        for text in texts:
            key = _key(text)
            if key in self.distinct:
                continue
            self.distinct[key] = len(self.distinct)
            for term in terms(text) | {"#" + q for q in numbers(text)}:
                postings.setdefault(term, []).append(len(self.distinct) - 1)
        self.items = len(self.distinct)
        self.postings = {t: np.asarray(p, np.int32) for t, p in postings.items()}

    def bits(self, term: str) -> float:
        """Inverse document frequency in bits; a term no item holds is as rare as one item's."""
        df = len(self.postings.get(term, ()))
        return math.log2((self.items + 1) / (max(df, 1) + 0.5))

    def weight(self, found: frozenset[str]) -> float:
        return sum(self.bits(t) for t in found)

    def support(self, found: frozenset[str], item: str, record: str, cap: int = 50) -> int:
        """Other items holding every term of `found`: not `item` itself, nor the record's own text
        when the benchmark holds it (auditing a set against itself). Capped: past `cap` it is a
        template either way."""
        if not found:
            return self.items
        lists = sorted((self.postings.get(t, np.zeros(0, np.int32)) for t in found), key=len)
        own = {self.distinct.get(_key(item)), self.distinct.get(_key(record))}
        common = lists[0]
        for other in lists[1:]:
            if len(common) <= len(own):
                break
            common = np.intersect1d(common, other, assume_unique=True)
        return min(sum(1 for i in common.tolist() if i not in own), cap)


@dataclass(frozen=True)
class RelationRules:
    """Thresholds of the relation decision (recorded in the audit config)."""

    support_max: int = 1           # a shared combination more other distinct items hold is a template
    min_shared_bits: float = 45.0  # specific wording: at least this much rare vocabulary in common ...
    min_coverage: float = 0.6      # ... covering at least this share of the item's bits
    story_bits: float = 20.0       # with the item's quantities, this much rare vocabulary suffices
    min_quantities: int = 3        # quantities alone (a rare set of at least this many) identify a story
    template_coverage: float = 0.5  # not specific, reported as template from this coverage on
    same_quantities: float = 0.8   # reworded: this share of the item's quantities kept, count within one
    same_question: float = 0.5     # renumbered: this share of the item's question bits asked again

    def classify(self, rarity: Rarity, item: str, record: str) -> tuple[str | None, dict[str, Any]]:
        """The relation of `record` to benchmark `item` (None: unrelated), with its evidence."""
        item_terms, record_terms = terms(item), terms(record)
        shared = item_terms & record_terms
        item_bits, shared_bits = rarity.weight(item_terms), rarity.weight(shared)
        coverage = shared_bits / item_bits if item_bits else 0.0
        support = rarity.support(shared, item, record)
        kept, item_count, record_count = quantities_kept(item, record)
        same_numbers = item_count > 0 and kept >= self.same_quantities and abs(record_count - item_count) <= 1
        number_support = rarity.support(shared_quantities(item, record) | shared, item, record)
        asked = terms(question(item))
        asked_bits = rarity.weight(asked)
        same_q = rarity.weight(asked & terms(question(record))) / asked_bits if asked_bits else 1.0
        evidence: dict[str, Any] = {
            "shared_bits": round(shared_bits, 1), "coverage": round(coverage, 3), "support": support,
            "quantities_kept": round(kept, 3), "quantities": [item_count, record_count],
            "support_with_quantities": number_support, "question_overlap": round(same_q, 3),
            "rarest_shared": sorted(shared, key=rarity.bits, reverse=True)[:6]}
        worded = support <= self.support_max and shared_bits >= self.min_shared_bits and coverage >= self.min_coverage
        if same_numbers and number_support <= self.support_max and (
                shared_bits >= self.story_bits or item_count >= self.min_quantities):
            relation, evidence["decided_by"] = "reworded", ("the item's quantities, a combination with the shared "
                                                           "terms no other benchmark item holds")
        elif not worded:
            relation = "template" if coverage >= self.template_coverage else None
            evidence["decided_by"] = (f"shared terms held by {support} other benchmark items" if support > self.support_max
                                      else f"{shared_bits:.0f} shared bits, coverage {coverage:.2f}: not specific")
        elif same_q >= self.same_question:
            relation, evidence["decided_by"] = "renumbered", "specific shared wording and question, other quantities"
        else:
            relation, evidence["decided_by"] = "derived", "specific shared wording, other quantities and question"
        return relation, evidence


def stronger(a: str | None, b: str | None) -> str | None:
    """The stronger of two relations (None is weakest)."""
    if a is None or b is None:
        return a or b
    return a if RELATIONS.index(a) <= RELATIONS.index(b) else b
