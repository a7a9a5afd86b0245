"""The second check for the semantic pass: is a shortlisted text the same problem, reworded?

Cosine alone cannot say: paraphrases and same-topic problems overlap in any embedding tested here.
Two explainable signals can. A paraphrase of a word problem keeps its quantities (number
agreement: multiset Jaccard of the numbers, with number words like "three" or "twice" read as
numbers) and most of its content words (containment of the item's content words in the
candidate). A same-topic problem shares neither. A copy with changed numbers keeps the words.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[a-z]+")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate((  # noqa: SIM905
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty").split())}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000",
                      "twice": "2", "double": "2", "triple": "3", "half": "0.5", "quarter": "0.25", "dozen": "12"})
_STOPWORDS = frozenset((  # noqa: SIM905
    "the and for are but not you all any can had her was our out has him his how its may new now old see way "
    "who did get let put say she too use that with have this will your from they been were what when than them "
    "then into some each which their there would about could other these those many much more most does make "
    "made like just also only over such very after before where while every since until being doing having here").split())


@lru_cache(maxsize=1 << 16)  # benchmark items come back again and again
def numbers(text: str) -> tuple[str, ...]:
    lowered = text.lower()
    found = [m.replace(",", "") for m in _NUMBER.findall(lowered)]
    return tuple(found + [_NUMBER_WORDS[w] for w in _WORD.findall(lowered) if w in _NUMBER_WORDS])


@lru_cache(maxsize=1 << 16)
def content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOPWORDS and w not in _NUMBER_WORDS)


def number_agreement(item: str, candidate: str) -> float:
    a, b = Counter(numbers(item)), Counter(numbers(candidate))
    union = sum((a | b).values())
    return sum((a & b).values()) / union if union else 0.0


def word_containment(item: str, candidate: str) -> float:
    words = content_words(item)
    return len(words & content_words(candidate)) / len(words) if words else 0.0


@dataclass(frozen=True)
class SecondCheck:
    """Thresholds of the second check (recorded in the audit config)."""

    numbers_min: float = 0.6          # same quantities ...
    words_with_numbers_min: float = 0.3  # ... and some of the same content words
    words_min: float = 0.8            # or nearly all the content words, whatever the numbers

    def decide(self, item: str, candidate: str) -> tuple[bool, dict[str, Any]]:
        agree, contained = number_agreement(item, candidate), word_containment(item, candidate)
        if contained >= self.words_min:
            decided = "content words"
        elif agree >= self.numbers_min and contained >= self.words_with_numbers_min:
            decided = "numbers and content words"
        else:
            decided = None
        return decided is not None, {"number_agreement": round(agree, 3), "word_containment": round(contained, 3),
                                     "decided_by": decided or "rejected: neither rule holds"}
