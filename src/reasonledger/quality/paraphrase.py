"""How a problem's words and quantities are read for the relation rules (`relations`).

A problem's quantities are its numbers, with number words ("three", "twice", "half") read as
numbers, so a rewording that spells a number out keeps it. Stopwords are the function words no
relation may rest on.
"""

from __future__ import annotations

import re
from functools import lru_cache

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[a-z]+")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate((  # noqa: SIM905
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty").split())}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000",
                      "twice": "2", "double": "2", "triple": "3", "half": "0.5", "quarter": "0.25", "dozen": "12"})
STOPWORDS = frozenset((  # noqa: SIM905
    "the and for are but not you all any can had her was our out has him his how its may new now old see way "
    "who did get let put say she too use that with have this will your from they been were what when than them "
    "then into some each which their there would about could other these those many much more most does make "
    "made like just also only over such very after before where while every since until being doing having here").split())


@lru_cache(maxsize=1 << 16)  # benchmark items come back again and again
def numbers(text: str) -> tuple[str, ...]:
    lowered = text.lower()
    found = [m.replace(",", "") for m in _NUMBER.findall(lowered)]
    return tuple(found + [_NUMBER_WORDS[w] for w in _WORD.findall(lowered) if w in _NUMBER_WORDS])
