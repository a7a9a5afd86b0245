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
  read as values: "a quarter" is "1/4" is "25%"), how many quantities each has, and the question's
  target (the item's asking sentence, weighted the same way, against the record's best matching one);
- a rephrasing keeps every quantity even where it changes every word: the item's quantities and no
  other, in a text the embedding finds of the same meaning (`cosine`), are a copy when the shared
  words are specific or no other item states those quantities together (`Rarity.by_quantities` is
  the index that shortlists such pairs by their rare numbers).

Relations, strongest first: `verbatim` (n-gram containment with the item's quantities),
`reworded` (specific shared story, or the same meaning, with the same quantities), `renumbered` (specific shared
story and question, other quantities), `derived` (specific shared story, another question or
quantities asked the other way round), `template` (shared phrasing that is not specific).
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from reasonledger.quality.quantities import STOPWORDS, numbers
from reasonledger.quality.text import Normalisation

Relation = Literal["verbatim", "reworded", "renumbered", "derived", "template"]
RELATIONS: tuple[str, ...] = ("verbatim", "reworded", "renumbered", "derived", "template")  # strongest first
DEFAULT_DROP: tuple[str, ...] = ("verbatim", "reworded", "renumbered")

_TERM = re.compile(r"\\[a-zA-Z]+|[a-zA-Z]{3,}")
_SENTENCE = re.compile(r"(?<=[.?!])\s+|\n+")
_ASKING = re.compile(r"\?|^\s*(?:how|what|which|find|compute|determine|evaluate|calculate|express|simplify|solve|work|"
                     r"show|prove|give|if)\b", re.IGNORECASE)


def _key(text: str) -> bytes:
    """A problem's identity up to case and spacing, as 8 bytes (the benchmark's texts are not copied)."""
    return hashlib.blake2b(" ".join(text.lower().split()).encode(), digest_size=8).digest()


@lru_cache(maxsize=1 << 14)  # benchmark items come back for every record that meets them
def terms(text: str) -> frozenset[str]:
    """Content words (3+ letters, not stopwords) and LaTeX commands, lowercased; numbers are masked
    by leaving them out, so a renumbered copy keeps every term."""
    return frozenset(t for t in (m.lower() for m in _TERM.findall(text)) if t not in STOPWORDS)


def asking(text: str, context: int = 0) -> list[str]:
    """The sentences that ask (a question mark or an asking verb), each with the `context`
    sentences before it (a question often leans on the one before: "Given this, how many ..."); the
    whole text when none asks."""
    sentences = [s for s in _SENTENCE.split(text.strip()) if s.strip()]
    found = [" ".join(sentences[max(0, i - context):i + 1]) for i, s in enumerate(sentences) if _ASKING.search(s)]
    return found or [text]


_FORMAT = Normalisation(lowercase=True, punctuation=True, digits_to_zero=False)
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)|\[asy\](.+?)\[/asy\]", re.DOTALL)
_FORMULA = re.compile(r"[\\^_={}<>!]")  # what makes a $...$ span a formula, not prices ("$20/hour") or a name
_SPACE_OR_SIZING = re.compile(r"\s+|\\(?:left|right|displaystyle|[,;!: ])")


@lru_cache(maxsize=1 << 14)
def expressions(text: str) -> frozenset[str]:
    """The formulas and figures a problem states ($...$, \\[...\\], [asy] code), spacing and
    sizing removed: in a competition problem they are the problem, so other numbers in them make
    another problem. Dollar signs around prose ("$5 and $10") are prices, not formulas."""
    found = set()
    for match in _MATH.finditer(text):
        body = next(g for g in match.groups() if g is not None)
        if _FORMULA.search(body):
            found.add(_SPACE_OR_SIZING.sub("", body).replace("dfrac", "frac").replace("tfrac", "frac"))
    return frozenset(found)


def expressions_kept(item: str, record: str) -> float | None:
    """Share of the item's formulas, by length, the record states too (None when the item has none);
    those with numbers in them when there are any: a shared reminder or "a > 0" beside another
    matrix is not the same mathematics."""
    mine = expressions(item)
    numeric = {e for e in mine if any(c.isdigit() for c in e)}
    mine = numeric or mine  # the formulas that carry quantities are the ones a renumbering changes
    if not mine:
        return None
    squeezed = _SPACE_OR_SIZING.sub("", record).replace("dfrac", "frac").replace("tfrac", "frac")
    return sum(len(e) for e in mine if e in squeezed) / sum(len(e) for e in mine)


@lru_cache(maxsize=1 << 14)
def quantity_counts(text: str) -> Counter[str]:
    """A text's quantities as a multiset (cached: do not change the result)."""
    return Counter(numbers(text))


def quantities_kept(item: str, record: str) -> tuple[float, int, int]:
    """(share of the item's quantities, as a multiset, found in the record; item count; record count)."""
    a, b = quantity_counts(item), quantity_counts(record)
    total = sum(a.values())
    return (sum((a & b).values()) / total if total else 1.0), total, sum(b.values())


def shared_quantities(item: str, record: str) -> frozenset[str]:
    """The distinct quantities both hold, as terms of `Rarity` ("#12")."""
    return frozenset("#" + q for q in set(numbers(item)) & set(numbers(record)))


class Rarity:
    """Document frequencies of terms over a benchmark's distinct items, and each term's posting list
    (one int32 array sliced by term: 4 bytes per distinct term of an item), so the support of a
    combination of terms is one weighted count over its postings."""

    def __init__(self, texts: Sequence[str]) -> None:
        ids: dict[str, int] = {}
        pairs = array("q")  # term id << 32 | item number, 8 bytes a posting until sorted
        self.distinct: dict[bytes, int] = {}  # a problem the benchmark holds twice is one problem, not a template
        first = array("q")  # the first text of each distinct item
        for position, text in enumerate(texts):
            key = _key(text)
            if key in self.distinct:
                continue
            self.distinct[key] = number = len(self.distinct)
            first.append(position)
            for term in terms.__wrapped__(text) | {"#" + q for q in numbers.__wrapped__(text)}:  # not cached
                pairs.append(ids.setdefault(term, len(ids)) << 32 | number)
        self.items, self.ids = len(self.distinct), ids
        packed = np.frombuffer(pairs, np.int64)  # sorted and masked in place: no copy of the pairs
        packed.sort()
        self.offsets = np.searchsorted(packed, np.arange(len(ids) + 1, dtype=np.int64) << 32)
        np.bitwise_and(packed, 0xFFFFFFFF, out=packed)
        self.postings = packed.astype(np.int32)
        del packed, pairs
        self.unseen = math.log2((self.items + 1) / 1.5)
        self._bits = np.log2((self.items + 1) / (np.diff(self.offsets) + 0.5))
        self.first = np.frombuffer(first, np.int64)
        self._rare: dict[float, np.ndarray] = {}  # rare-quantity bits of each item, by rarity floor

    def _held(self, term: str) -> np.ndarray:
        number = self.ids.get(term)
        return self.postings[self.offsets[number]:self.offsets[number + 1]] if number is not None else self.postings[:0]

    def bits(self, term: str) -> float:
        """Inverse document frequency in bits; a term no item holds is as rare as one item's."""
        number = self.ids.get(term)
        return float(self._bits[number]) if number is not None else self.unseen

    def weight(self, found: frozenset[str]) -> float:
        return sum(self.bits(t) for t in found)

    def rare_quantities(self, floor: float) -> np.ndarray:
        """Each distinct item's bits of quantities at least `floor` bits rare (computed once a floor)."""
        if floor not in self._rare:
            rare = [n for t, n in self.ids.items() if t[0] == "#" and self._bits[n] >= floor]
            held = [self.postings[self.offsets[n]:self.offsets[n + 1]] for n in rare]
            self._rare[floor] = np.bincount(np.concatenate([self.postings[:0], *held]), minlength=self.items,
                                            weights=np.repeat(self._bits[rare], [len(h) for h in held]))
        return self._rare[floor]

    def by_quantities(self, text: str, floor: float, least: float, share: float, top: int) -> list[int]:
        """The texts (first of each distinct item) whose rare quantities `text` states: at least `least`
        bits of quantities held by few items (each at least `floor` bits rare) and `share` of the
        item's own; the `top` with the most bits. One posting list per rare number of `text`: the
        cheap second shortlist beside the embedding, for retellings whose words all changed."""
        rare = [n for n in (self.ids.get("#" + q) for q in set(numbers(text))) if n is not None and self._bits[n] >= floor]
        if not rare:
            return []
        held = [self.postings[self.offsets[n]:self.offsets[n + 1]] for n in rare]
        bits = np.bincount(np.concatenate(held), weights=np.repeat(self._bits[rare], [len(h) for h in held]),
                           minlength=self.items)
        found = np.flatnonzero((bits >= least) & (bits >= share * self.rare_quantities(floor) - 1e-9))
        return self.first[found[np.argsort(-bits[found], kind="stable")[:top]]].tolist()

    def support(self, found: frozenset[str], item: str, record: str, share: float = 1.0, cap: int = 50) -> int:
        """Other items holding at least `share` of the bits of `found` (with 1.0: every term): not
        `item` itself, nor the record's own text when the benchmark holds it (auditing a set against
        itself). Capped: past `cap` it is a template either way."""
        if not found:
            return self.items
        own = [i for i in {self.distinct.get(_key(item)), self.distinct.get(_key(record))} if i is not None]
        known = [t for t in found if t in self.ids]
        if not known:
            return 0
        held = [self._held(t) for t in known]
        bits = np.bincount(np.concatenate(held), weights=np.repeat([self.bits(t) for t in known], [len(h) for h in held]),
                           minlength=self.items)
        bits[own] = 0
        return min(int(np.count_nonzero(bits >= share * self.weight(found) - 1e-9)), cap)


@dataclass(frozen=True)
class RelationRules:
    """Thresholds of the relation decision (recorded in the audit config)."""

    support_max: int = 1           # a shared combination more other distinct items hold is a template ...
    support_share: float = 0.8     # ... counting an item that holds this share of its bits
    min_shared_bits: float = 30.0  # the same story: at least this much rare vocabulary in common ...
    min_coverage: float = 0.45     # ... covering at least this share of the item's bits
    story_bits: float = 20.0       # with the item's quantities, this much rare vocabulary suffices ...
    quantity_bits: float = 8.0     # ... when the shared quantities are this rare (small counts are not)
    template_coverage: float = 0.5  # not specific, reported as template from this coverage on
    same_quantities: float = 0.8   # the item's quantities: this share kept, count within one ...
    most_quantities: float = 0.66  # ... or this share, as many quantities and the question (a rewording restates one)
    derived_bits: float = 5.0      # derived, or renumbered with another count: the quantities kept are this rare
    derived_quantities: float = 0.5  # derived: this share of the item's quantities kept (same story, other question)
    chain: int = 3                 # derived: the item states at least this many quantities
    same_wording: float = 0.7      # renumbered: the record repeats this share of the item's bits (and the item
                                   # `min_coverage` of the record's, or as many quantities, at least `chain`)
    same_question: float = 0.5     # the item's question: this share of its asking sentence's bits asked again
    same_expressions: float = 0.5  # a problem stated in formulas: this share of them in the record
    same_meaning: float = 0.60     # reworded on quantities: every one of the item's, as many, at this cosine

    def classify(self, rarity: Rarity, item: str, record: str,
                 cosine: float | None = None) -> tuple[str | None, dict[str, Any]]:
        """The relation of `record` to benchmark `item` (None: unrelated), with its evidence; `cosine`,
        the texts' embedding similarity where the semantic pass measured it."""
        if _FORMAT.words(item) == _FORMAT.words(record):
            return "verbatim", {"decided_by": "the same text up to case, spacing and punctuation"}
        item_terms, record_terms = terms(item), terms(record)
        shared = item_terms & record_terms
        item_bits, shared_bits = rarity.weight(item_terms), rarity.weight(shared)
        coverage = shared_bits / item_bits if item_bits else 0.0
        record_bits = rarity.weight(record_terms)
        back = shared_bits / record_bits if record_bits else 0.0
        kept, item_count, record_count = quantities_kept(item, record)
        if not self._could_relate(coverage, shared_bits, kept, item_count, record_count, cosine):
            return None, {"shared_bits": round(shared_bits, 1), "coverage": round(coverage, 3),
                          "coverage_of_record": round(back, 3), "quantities_kept": round(kept, 3),
                          "quantities": [item_count, record_count], "decided_by": (
                              f"{shared_bits:.0f} shared bits, coverage {coverage:.2f}, {kept:.2f} of the item's "
                              "quantities: too little in common for any relation")}
        support = rarity.support(shared, item, record, self.support_share)
        quantities = shared_quantities(item, record)
        quantity_bits = rarity.weight(quantities)
        number_support = rarity.support(quantities | shared, item, record, self.support_share)
        formulas = expressions_kept(item, record)
        asked = terms(asking(item)[-1])  # a benchmark item ends with its question; a record may add instructions
        asked_bits = rarity.weight(asked)
        # with all the item's quantities still given, the question may lean on the sentence before it;
        # with one missing, that sentence may hold the item's target as a given (a reversed question)
        context = 1 if kept >= self.same_quantities else 0
        same_q = max(rarity.weight(asked & terms(s)) for s in asking(record, context)) / asked_bits if asked_bits else 1.0
        evidence: dict[str, Any] = {
            "shared_bits": round(shared_bits, 1), "coverage": round(coverage, 3),
            "coverage_of_record": round(back, 3), "support": support,
            "quantities_kept": round(kept, 3), "quantities": [item_count, record_count],
            "quantity_bits": round(quantity_bits, 1), "support_with_quantities": number_support,
            "formulas_kept": None if formulas is None else round(formulas, 3), "question_overlap": round(same_q, 3),
            "rarest_shared": sorted(shared, key=lambda t: (-rarity.bits(t), t))[:6]}
        story = support <= self.support_max and shared_bits >= self.min_shared_bits and coverage >= self.min_coverage
        # the item's quantities exactly, in a text of the same meaning, with shared words or the quantities
        # themselves specific (no other item states them all together)
        same_numbers = (cosine is not None and cosine >= self.same_meaning and item_count >= 2 and kept == 1.0
                        and record_count == item_count and number_support <= self.support_max
                        and (support <= self.support_max or rarity.support(quantities, item, record) == 0))
        by_quantities = (item_count >= 2 and (kept >= self.same_quantities and abs(record_count - item_count) <= 1
                                              or kept >= self.most_quantities and record_count == item_count
                                              and same_q >= self.same_question)
                         and number_support <= self.support_max and shared_bits >= self.story_bits
                         and quantity_bits >= self.quantity_bits)
        if formulas is not None and formulas < self.same_expressions:
            relation = "template" if coverage >= self.template_coverage else None
            evidence["decided_by"] = "the item's formulas are not in the record: its phrasing, other mathematics"
        elif by_quantities:
            relation, evidence["decided_by"] = "reworded", ("the item's quantities with shared terms no other "
                                                           "benchmark item holds")
        elif same_numbers:
            relation, evidence["decided_by"] = "reworded", (f"every one of the item's {item_count} quantities and no "
                                                           f"other, in a text of the same meaning (cosine {cosine:.2f})")
        elif not story:
            relation = "template" if coverage >= self.template_coverage else None
            evidence["decided_by"] = (f"shared terms held by {support} other benchmark items" if support > self.support_max
                                      else f"{shared_bits:.0f} shared bits, coverage {coverage:.2f}: not specific")
        elif same_q < self.same_question:
            if item_count >= self.chain and kept >= self.derived_quantities and quantity_bits >= self.derived_bits:
                relation, evidence["decided_by"] = "derived", "the item's story and most of its (rare) quantities, another question"
            elif coverage >= self.same_wording and back >= self.same_wording - 0.1:
                relation, evidence["decided_by"] = "derived", "the item's wording nearly both ways, another question"
            else:
                relation = "template"
                evidence["decided_by"] = "shared wording, another question and other quantities: no story in common"
        elif kept >= self.same_quantities or (min(coverage, back) < self.same_wording and (
                kept >= self.derived_quantities and quantity_bits >= self.quantity_bits
                or kept >= self.most_quantities and abs(record_count - item_count) <= 1
                and quantity_bits >= self.derived_bits)):
            relation, evidence["decided_by"] = "reworded", "the item's story, question and (most of its rare) quantities"
        elif item_count >= 2 and coverage >= self.same_wording and (
                back >= self.same_wording + 0.1
                or (back >= self.min_coverage and (abs(record_count - item_count) <= 1
                                                   or quantity_bits >= self.derived_bits))
                or (item_count >= self.chain and record_count == item_count)):
            relation, evidence["decided_by"] = "renumbered", ("the item's wording, question and "
                                                             + ("chain of quantities" if record_count == item_count
                                                                else "most of the record's words") + ", other values")
        else:
            relation = "template"
            evidence["decided_by"] = (f"shared story words, other quantities, and the texts repeat only {coverage:.2f} "
                                      f"and {back:.2f} of each other's bits: not the same wording")
        return relation, evidence

    def _could_relate(self, coverage: float, shared_bits: float, kept: float, item_count: int, record_count: int,
                      cosine: float | None) -> bool:
        """Whether any rule of `classify` could name a relation: the item's words covered enough for a
        story or a template, or its quantities kept as the rules on quantities need. Most shortlisted
        pairs fail all three, and then no support count (the costly part) is made."""
        return (coverage >= min(self.min_coverage, self.template_coverage)
                or item_count >= 2 and kept >= min(self.same_quantities, self.most_quantities)
                and shared_bits >= self.story_bits
                or cosine is not None and cosine >= self.same_meaning and item_count >= 2 and kept == 1.0
                and record_count == item_count)


def rank(relation: str | None) -> int:
    """A relation's place in `RELATIONS` (0 is the strongest); None (unrelated) comes after every one."""
    return RELATIONS.index(relation) if relation else len(RELATIONS)


def stronger(a: str | None, b: str | None) -> str | None:
    """The stronger of two relations (None is weakest; a tie keeps `a`)."""
    return min(a, b, key=rank)
