"""Answer forms rewritten to the plain value they write, each rewrite named for the verdict's evidence.

Datasets store answers in forms the parser would misread: `21 \\frac{13}{14}` (a mixed number, not
21 times 13/14), `60^\\circ 42'` (degrees and minutes), `③` or `１２` (circled and full-width digits),
`2<sup>10</sup>` (HTML), `f(x) = 1 \\text{ for all } x` (a qualifier after the answer). `characters`
runs on the extracted answer before `normalize`, `structures` after it; each returns the rewritten
text and the names of the rules it applied (the names listed on the card as `FORM_RULES`).
"""

from __future__ import annotations

import re
from fractions import Fraction

FORM_RULES = {
    "circled_digits": "circled digits (U+2460-2473) are their numbers; a run of them is a list (②③ is 2, 3)",
    "full_width": "full-width characters (U+FF01-FF5E) are their ASCII forms",
    "html_tags": "HTML <sup>/<sub> are ^{}/_{}; <b>, <i>, <em>, <strong>, <span>, <br> are dropped",
    "mixed_number": "an integer followed by a proper fraction of integers, as a whole item, is their sum (21 \\frac{13}{14} = 307/14)",
    "degrees_minutes": "D^\\circ M' S'' is (D + M/60 + S/3600)^\\circ, exactly",
    "qualifier": "a trailing qualifier ('for all x', 'where k is an integer', ', k \\in \\mathbb{Z}', '\\forall x') is dropped "
                 "when it holds no further equation, case or number; an integer it declares may be renamed (see integer_parameter)",
}

_CIRCLED = re.compile("[\u2460-\u2473]+")
_FULL_WIDTH = re.compile("[\uff01-\uff5e]")
_SUP = re.compile(r"<sup>(.*?)</sup>", re.IGNORECASE | re.DOTALL)
_SUB = re.compile(r"<sub>(.*?)</sub>", re.IGNORECASE | re.DOTALL)
_DROP_TAGS = re.compile(r"</?(?:b|i|em|strong|span|br)\b[^<>]{0,80}>", re.IGNORECASE)

_MIXED = re.compile(
    r"(?<![\w.^_}){\\)*/!|])(\d+)\s*\\frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}"
    r"(?=\s*(?:$|[,;)\]]|\\\}|\\text|\\mbox|\\%|\\rangle))")
_NUM = r"(\d+(?:\.\d+)?)"
_DEG = r"\s*\^\s*\{?\s*\\circ\s*\}?\s*"
_MIN = r"\s*(?:\^\s*\{\s*\\prime\s*\}|\^\s*\\prime|\\prime|'|\u2032)"
_SEC = r"\s*(?:\^\s*\{\s*\\prime\s*\\prime\s*\}|\^\s*\{\s*''\s*\}|''|\"|\u2033|\\prime\s*\\prime)"
_DMS = re.compile(_NUM + _DEG + _NUM + _MIN + r"(?:\s*" + _NUM + _SEC + r")?")
_QUALIFIER = re.compile(
    r"\s*,?\s*(?:\\text\s*\{\s*,?\s*(?:for\s+all|for\s+any|for\s+every|for\s+each|for|where|with|when)\b[^{}]*\}"
    r"|\\forall\b|(?<=,)\s*[a-zA-Z]\s*\\in\s*\\mathbb\s*\{?\s*[ZN]\s*\}?)(?P<rest>.*)$", re.DOTALL)
_NOT_A_QUALIFIER = re.compile(r"[=;\d]")  # another equation, case or number: a piecewise answer, not a qualifier
_INTEGER_NAME = re.compile(r"(?<![A-Za-z\\])([a-zA-Z])\s*(?:\\in\s*\\mathbb\s*\{?\s*[ZN]\s*\}?|\\text\s*\{\s*is\s+an?\s+(?:integer|whole number)\b)")


def characters(text: str) -> tuple[str, list[str]]:
    """Circled and full-width digits, HTML tags: before `normalize`."""
    rules: list[str] = []
    if _CIRCLED.search(text):
        text = _CIRCLED.sub(lambda m: ", ".join(str(ord(c) - 0x2460 + 1) for c in m.group(0)), text)
        rules.append("circled_digits")
    if _FULL_WIDTH.search(text):
        text = _FULL_WIDTH.sub(lambda m: chr(ord(m.group(0)) - 0xFEE0), text)
        rules.append("full_width")
    if "<" in text and (_SUP.search(text) or _SUB.search(text) or _DROP_TAGS.search(text)):
        text = _DROP_TAGS.sub("", _SUB.sub(r"_{\1}", _SUP.sub(r"^{\1}", text)))
        rules.append("html_tags")
    return text, rules


def structures(normalized: str) -> tuple[str, list[str], set[str]]:
    """Mixed numbers, degrees and minutes, trailing qualifiers: after `normalize`.

    Also returns the names a qualifier declares as integers (`k` in `k \\in \\mathbb{Z}`)."""
    rules: list[str] = []
    integers: set[str] = set()
    s = normalized
    t = _MIXED.sub(_mixed, s)
    if t != s:
        rules.append("mixed_number")
        s = t
    t = _DMS.sub(_degrees, s)
    if t != s:
        rules.append("degrees_minutes")
        s = t
    m = _QUALIFIER.search(s)
    if m and m.start() > 0 and not _NOT_A_QUALIFIER.search(m.group("rest")):
        integers = set(_INTEGER_NAME.findall(s[m.start():]))
        s = s[:m.start()].rstrip(" ,")
        rules.append("qualifier")
    return s, rules, integers


def _mixed(m: re.Match[str]) -> str:
    whole, num, den = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not 0 < num < den:
        return m.group(0)
    return f"({whole}+\\frac{{{num}}}{{{den}}})"


def _degrees(m: re.Match[str]) -> str:
    value = Fraction(m.group(1)) + Fraction(m.group(2)) / 60 + (Fraction(m.group(3)) / 3600 if m.group(3) else 0)
    body = str(value.numerator) if value.denominator == 1 else f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
    return f"({body})^\\circ "
