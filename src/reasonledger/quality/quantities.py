"""How a problem's words and quantities are read for the relation rules (`relations`).

A problem's quantities are its numbers read as values, with number words ("three", "twice", "half")
and fractions in any spelling ("1/4", "a quarter", "one-fourth", "three-quarters", "25%") read as
numbers, so a rewording that spells a number out keeps it: "$4.00" is 4 and "1/2", "half" and
"50 percent" are 0.5. A lone "one" is not read ("each one", "one day": mostly no quantity).
Stopwords are the function words no relation may rest on.
"""

from __future__ import annotations

import re
from functools import lru_cache

_NUMBER_WORDS = {w: i for i, w in enumerate((  # noqa: SIM905
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty").split())}
_NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "thousand": 1000, "half": 0.5,
                      "quarter": 0.25, "dozen": 12, "decade": 10, "twice": 2, "double": 2, "doubled": 2,
                      "twofold": 2, "thrice": 3, "triple": 3, "tripled": 3, "threefold": 3, "quadrupled": 4,
                      "fourfold": 4, "tenfold": 10})
_PARTS = {"half": 2, "halves": 2, "third": 3, "quarter": 4, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
          "eighth": 8, "ninth": 9, "tenth": 10}
_COUNTS = "a|an|one|two|three|four|five|six|seven|eight|nine|ten"
_ALONE = "|".join(w for w in _NUMBER_WORDS if w != "one")
_QUANTITY = re.compile(
    r"(?:(?P<over>\d+(?:\.\d+)?)\s*/\s*(?P<under>\d+(?:\.\d+)?)"  # 3/5
    r"|(?P<number>\d+(?:[.,]\d+)*)"  # 2,000 or 4.50
    rf"|\b(?P<count>{_COUNTS})[- ](?P<part>{'|'.join(_PARTS)})s?\b"  # a third, one-fourth, three-quarters
    rf"|\b(?P<word>{_ALONE})\b"
    r")(?P<percent>\s*(?:%|percent\b))?")


def _value(value: float) -> str:
    """One spelling per value: 4, 4.0 and 4.00 are "4"; 2/3 is "0.6667"."""
    return str(round(value)) if abs(value - round(value)) < 1e-9 else f"{value:.4f}".rstrip("0")


def _read(match: re.Match[str]) -> float | None:
    value = _unscaled(match)
    return value / 100 if value is not None and match["percent"] else value


def _unscaled(match: re.Match[str]) -> float | None:
    if match["over"]:
        under = float(match["under"])
        return float(match["over"]) / under if under else None
    if match["number"]:
        return float(match["number"].replace(",", "")) if match["number"].count(".") <= 1 else None
    if match["count"]:
        return _NUMBER_WORDS.get(match["count"], 1) / _PARTS[match["part"]]  # "a"/"an" is one
    return float(_NUMBER_WORDS[match["word"]])


STOPWORDS = frozenset((  # noqa: SIM905
    "the and for are but not you all any can had her was our out has him his how its may new now old see way "
    "who did get let put say she too use that with have this will your from they been were what when than them "
    "then into some each which their there would about could other these those many much more most does make "
    "made like just also only over such very after before where while every since until being doing having here").split())


@lru_cache(maxsize=1 << 16)  # benchmark items come back again and again
def numbers(text: str) -> tuple[str, ...]:
    """The quantities a text states, in order, each spelled one way (`_value`); a dotted run that is
    no number ("1.2.3", a version) is kept as written."""
    found = []
    for match in _QUANTITY.finditer(text.lower()):
        value = _read(match)
        found.append(match[0].replace(",", "") if value is None else _value(value))
    return tuple(found)
