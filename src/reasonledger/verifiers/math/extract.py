"""The math verifier's reading of answers: the shared extractor plus what only math needs.

Responses are read with `verifiers.answers` (rules `answer_tag`, `boxed`, `answer_is`,
`answer_colon`, `hashes`, `final_line`; see there). Math adds: a reference is usually the bare
answer, so a short reference without markers is taken whole (rule `reference`); `#### 1,234`
drops its thousands commas; LaTeX delimiters are removed; and multiple-choice letters are read
by their own rules below. There is no "first number in the text" fallback: when no rule fires
the extraction is None and the verdict says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reasonledger.verifiers import answers as A
from reasonledger.verifiers.answers import box_groups, find_boxes, math_segments, strip_math

RESPONSE_RULES = ("answer_tag", "boxed", "answer_is", "answer_colon", "hashes", "final_line")
_MARKER_RULES = ("answer_tag", "boxed", "answer_is", "answer_colon", "hashes")
_PROSE_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{4,}")


@dataclass(frozen=True)
class Extraction:
    text: str  # the answer, LaTeX delimiters removed
    rule: str  # which rule fired
    plain: bool = False  # found in prose rather than in math (decimal commas allowed)


def extract_answer(text: str, reference: bool = False) -> Extraction | None:
    """The final answer of `text` (a response, or with `reference` a reference), or None."""
    got = A.extract_answer(text, _MARKER_RULES if reference else RESPONSE_RULES)
    if got.answer is None and reference:
        visible = A.after_reasoning(text)
        cleaned = A.clean(visible) if visible is not None else ""
        if cleaned and _looks_like_answer(cleaned):
            return Extraction(strip_math(cleaned), "reference", not math_segments(cleaned) and "\\" not in cleaned)
        got = A.extract_answer(text, ("final_line",))
    if got.answer is None:
        return None
    answer = got.answer
    if got.rule == "answer_tag":
        inner = extract_answer(answer, reference=True)  # a tag holding a whole solution is read like a reference
        if inner is None:
            return None
        return Extraction(inner.text, "answer_tag", inner.plain)
    if got.rule == "hashes":
        answer = strip_math(answer).replace(",", "")
    elif got.rule == "final_line":
        answer = strip_math(answer)
    return Extraction(answer.strip(), got.rule, got.plain)


def _looks_like_answer(text: str) -> bool:
    """A bare answer, not a solution: short, on one line, and at most three words outside \\text{...}."""
    if len(text) > 400 or "\n" in re.sub(r"\$\$.*?\$\$|\\\[.*?\\\]", " ", text, flags=re.DOTALL).strip():
        return False
    words = re.sub(r"\\(?:text|mbox|textbf|mathrm)\s*\{[^{}]*\}|\\[a-zA-Z]+", " ", text)
    return len(_PROSE_WORD.findall(words)) <= 3


# ---------------------------------------------------------------------------------------------
# multiple choice

_WORD_AFTER = re.compile(r"[ \t\n]{1,20}[a-z]")  # "A robe", "I think": a word, not an option
_CHOICE_TEXT = re.compile(r"\(?\s?([A-J])\s?\)?[.:]?")  # full match of the stripped text


def choice_letter(answer: str) -> str | None:
    """The letter of a reference like `C`, `(C)`, `\\text{C}`, `$\\boxed{C}$`; None otherwise."""
    s = answer
    for _ in range(3):
        s = re.sub(r"\\(?:text|textbf|mathrm|mathbf|boxed)\s*\{([^{}]*)\}", r"\1", s)
    s = strip_math(s).strip()
    m = _CHOICE_TEXT.fullmatch(s)
    return m.group(1) if m else None


def extract_choice(text: str, letters: str = "ABCDEFGHIJ") -> Extraction | None:
    """The chosen option letter: boxed, after "answer is"/"Answer:", a line starting with it, or standing alone."""
    text = A.clean(A.after_reasoning(text) or "")
    opts = re.escape(letters)
    boxes = box_groups(text)
    found: list[tuple[int, int, str, str]] = []
    if boxes:
        letter = choice_letter(boxes[-1][2][-1])
        if letter and letter in letters:
            found.append((3, boxes[-1][1], letter, "boxed"))
    # every repetition is bounded or line-local, so no pattern rescans a long run of spaces or newlines
    for m in re.finditer(rf"(?:answer|option|choice)[\s:*]{{0,20}}(?:is\b[\s:*]{{0,20}})?\(?([{opts}])\)?(?![a-zA-Z])", text, re.IGNORECASE):
        if m.group(1).upper() in letters:
            found.append((2, m.end(), m.group(1).upper(), "answer_is"))
    for m in re.finditer(rf"(?m)^[ \t]*\**(?:\(([{opts}])\)|([{opts}])[.:)]|([{opts}])\**[ \t]*$)", text):
        found.append((1, m.end(), m.group(1) or m.group(2) or m.group(3), "line_start"))
    if found:
        found.sort()
        _, _, letter, rule = found[-1]
        return Extraction(letter, rule)
    alone = [m for m in re.finditer(rf"(?<![\w\\])([{opts}])(?![\w])", text)
             if not (m.group(1) in "AI" and _WORD_AFTER.match(text, m.end()))]
    if alone:
        return Extraction(alone[-1].group(1), "standalone_letter")
    return None
