"""The one answer extractor: every verifier and audit reads a model's final answer through here.

Before, each verifier and audit had its own rules, so the trace–answer audit could read a different
answer than the verifier that scored the same text. Rules are an ordered, named list (as
Math-Verify's `extraction_config`); a caller names the ones it accepts and the result names the
rule that fired:

- `answer_tag`: the last `<answer>...</answer>` (an unclosed tag runs to the end). Its content is
  searched with the caller's marker rules below, else taken whole.
- markers: `boxed` (`\\boxed{}` / `\\fbox{}`, balanced braces; adjacent boxes joined by "and" or
  commas form one answer), `answer_is` ("the answer is X"), `answer_colon` ("Answer: X",
  "Final answer: X"), `hashes` ("#### X"). Among the markers that fire, the one ending last in the
  text wins (models restate and correct themselves); on a tie, a box wins.
- fallbacks, tried in the caller's order when no marker fired: `final_line` (a final line that
  is itself an answer statement: all math, or a number or math linked to it by "is", "=", ":",
  "are", ... ; never any number walked back to), `code_block` (the last fenced block), `bare`
  (the whole text, stripped).

Reasoning is never read: only the text after the last `</think>` counts, and a text whose
`<think>` is never closed has no answer. A negated or hedged statement ("definitely not
\\boxed{3}", "somewhere between 2 and 4") is no answer. Every rule runs in time linear in the
text: the text is scanned a bounded number of times, never once per candidate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

RULES = ("answer_tag", "boxed", "answer_is", "answer_colon", "hashes", "final_line", "code_block", "bare")
DEFAULT_RULES = ("answer_tag", "boxed", "answer_is", "answer_colon", "hashes", "final_line")
MARKERS = frozenset({"boxed", "answer_is", "answer_colon", "hashes"})


@dataclass(frozen=True)
class Extracted:
    """The answer found (None when no rule fired) and the rule that found it.

    `plain` is True when the answer was written in prose rather than inside math delimiters
    (the math verifier then reads `2,74` as a decimal comma)."""

    answer: str | None
    rule: str | None
    plain: bool = False


NOTHING = Extracted(None, None)

_CHAT_TOKENS = re.compile(r"<\|[a-z_]+\|>.*$|</s>\s*$|<\|endoftext\|>", re.DOTALL)
_CALCULATOR = re.compile(r"<<[^<>\n]{0,200}>>")  # GSM8K calculator annotations: <<16-3-4=9>>
_TRAILERS = re.compile(r"(?:I hope (?:it|this) is correct\.?|Hope (?:it|this) helps!?)\s*$", re.IGNORECASE)
_THINK_OPEN = re.compile(r"<think>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think>", re.IGNORECASE)
_TAG_OPEN = re.compile(r"<answer>", re.IGNORECASE)
_TAG_CLOSE = re.compile(r"</answer>", re.IGNORECASE)
_BOX_START = re.compile(r"\\(?:boxed|fbox)\s*\{|\\boxed (?=\S)")
_BRACE = re.compile(r"\\[{}]|[{}]")
_BARE_BOX = re.compile(r"[^\s$.,;]*")  # `\boxed 5`
_TRIES = 100  # answer phrases and boxes read from the end; past that a text is spam, not an answer
_PHRASES = re.compile(
    r"(?P<answer_is>(?:final answer|the answer|answer)\s*(?:is|would be|will be|should be)\s*:?)|"
    r"(?P<answer_colon>(?:final answer|answer)\s*(?:\*+\s*)?:\**)|(?P<hashes>####)",  # no two \\s* side by side
    re.IGNORECASE,
)
_DELIMS = re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)|(?<!\\)\$")
_NUMBER = re.compile(
    r"(?<![\w.\\^_{])(?:[-\u2212]\s?)?(?:\d{1,3}(?: \d{3}){1,8}(?![\d])|\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+(?![a-zA-Z]))?|\.\d+)"
    r"(?:\s*/\s*\d+(?:\.\d+)?)?(?:\s*(?:%|\\%|percent\b|pct\b))?(?![\d])"
)
_CONNECTOR_STRIP = re.compile(r"\\text(?:bf|rm|normal)?\s*\{([^{}]*)\}|\\q?quad|\\[,;:! ]|\\\(|\\\)|\\\[|\\\]|\$|\*\*")
_CONNECTOR_WORD = re.compile(r"\b(?:and|or)\b|&", re.IGNORECASE)
_WINDOW = 2_100  # longest stretch read after a phrase or as a final line: past any answer-length limit
_LATEX_COMMAND = re.compile(r"\\(?:begin|end)\s*\{[a-zA-Z*]*\}|\\[a-zA-Z]+")  # not prose: \\frac, \\begin{pmatrix}
_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")
_MATH_WORDS = frozenset("and sin cos tan cot sec csc log exp sqrt max min gcd lcm mod det abs".split())
_UNIT_TAIL = re.compile(r"[ \t]?([a-zA-Z]{1,3}|°)(?![\w])")
_SMALL_WORDS = frozenset("a an and or the to of by at on in it is as be if so we he she per for are was has had not its".split())
_LINE_LABEL = re.compile(r"^\w{1,12}\s*:\s+")
_PROSE_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{4,}")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*$", re.MULTILINE)
# words that make a statement no answer: a negation just before it, a hedge anywhere in it
_NEGATION = re.compile(r"(?:\bnot|\bnever|n't|\bcannot)\W*(?:\w+\W*)?$", re.IGNORECASE)
_HEDGE_NEAR = re.compile(r"\b(?:could|might|may|likely)\W*(?:\w+\W*)?$", re.IGNORECASE)  # "could be 3", not "... could be in D is 19"
_JUDGED = re.compile(r"\b(?:is|are|was|were|not|never|wrong|incorrect|false)\b|n't\b", re.IGNORECASE)  # "3 is wrong"
_NEGATION_WORD = re.compile(r"\b(?:not|never|cannot)\b|n't\b", re.IGNORECASE)
_HEDGE = re.compile(
    r"\b(?:maybe|perhaps|possibly|probably|somewhere|not sure|unsure|uncertain|not certain|guess|"
    r"(?:do|does|did)\s+not\s+know|(?:don|doesn|didn)'t\s+know|no idea)\b",
    re.IGNORECASE,
)
# what links a number to its statement in prose: "... is 12", "= 7", "Answer: 3", "that $x<3$"
_LINK = re.compile(
    r"(?:\b(?:is|are|was|were|be|equals?|equal to|that|by|gives?|of|get|becomes|answer)|'s|=|:|\\approx|≈)"
    r"\s*(?:(?:about|exactly|precisely|just|only|then|also|therefore|thus|hence)\s+)?$",
    re.IGNORECASE,
)
_CONCLUSION = re.compile(
    r"^\W*(?:therefore|thus|hence|so|finally|consequently|in total|altogether)\b[\s,]*(?:(?:we|i)\s+(?:get|have|find|obtain)\s*)?$",
    re.IGNORECASE,
)


def extract_answer(text: str, rules: Sequence[str] = DEFAULT_RULES) -> Extracted:
    """The final answer in `text` by the first of `rules` that fires (see the module docstring)."""
    unknown = [r for r in rules if r not in RULES]
    if unknown:
        raise ValueError(f"unknown extraction rule(s) {', '.join(map(repr, unknown))}; known: {', '.join(RULES)}")
    visible = after_reasoning(text)
    if visible is None:
        return NOTHING
    cleaned = clean(visible)
    if "answer_tag" in rules:
        inner = answer_tag(cleaned)
        if inner is not None:
            inner = inner.strip()
            if not inner:
                return NOTHING
            found = markers(inner, rules)
            if found is not None:
                return Extracted(found.answer, "answer_tag", found.plain)
            return Extracted(_unwrap_math(inner), "answer_tag", _is_plain(inner))
    found = markers(cleaned, rules)
    if found is not None:
        return found
    for rule in rules:
        if rule == "final_line":
            answer = final_line(cleaned)
            if answer is not None:
                return answer
        elif rule == "code_block":
            code = code_block(_CHAT_TOKENS.sub("", visible))
            if code is not None:
                return Extracted(code, "code_block", True)
        elif rule == "bare" and cleaned:
            return Extracted(cleaned, "bare", _is_plain(cleaned))
    return NOTHING


# ---------------------------------------------------------------------------------------------
# the visible text


def after_reasoning(text: str) -> str | None:
    """The text after the last `</think>`; None when a `<think>` is still open at the end."""
    text = "" if text is None else str(text)
    if "<" not in text:
        return text  # no think tag: the cheap common case
    last_close = None
    for last_close in _THINK_CLOSE.finditer(text):
        pass
    start = last_close.end() if last_close is not None else 0
    if _THINK_OPEN.search(text, start):
        return None
    return text[start:]


def clean(text: str) -> str:
    """Drop chat-template tokens and GSM8K calculator notes; unescape literal newlines."""
    if "<" in text:  # every chat token and calculator note starts with one
        text = _CHAT_TOKENS.sub("", text)
        text = _CALCULATOR.sub("", text)
    if "\n" not in text and "\\n" in text:
        text = re.sub(r"\\n(?![a-zA-Z])", "\n", text)  # JSON-escaped text: `\n` before a non-letter
    return text.strip()


def answer_tag(text: str) -> str | None:
    """The content of the last `<answer>` tag (to its `</answer>` or the end); None without one."""
    if "<" not in text:
        return None
    last = None
    for last in _TAG_OPEN.finditer(text):
        pass
    if last is None:
        return None
    close = _TAG_CLOSE.search(text, last.end())
    return text[last.end() : close.start() if close else len(text)]


def code_block(text: str) -> str | None:
    """The body of the last fenced code block (an unclosed fence runs to the end); of the last one
    tagged python when one is (an output example in a plain block often follows the program)."""
    fences = list(_FENCE.finditer(text))
    if not fences:
        return None
    blocks: list[tuple[int, int, bool]] = []
    i = 0
    while i < len(fences):
        opening = fences[i]
        body_start = min(len(text), opening.end() + 1)
        j = i + 1
        while j < len(fences) and not (fences[j].group(1)[0] == opening.group(1)[0]
                                       and len(fences[j].group(1)) >= len(opening.group(1))
                                       and not fences[j].group(0).strip().strip("`~")):
            j += 1
        body_end = fences[j].start() if j < len(fences) else len(text)
        info = opening.group(0).strip().strip("`~").split()
        blocks.append((body_start, body_end, bool(info) and info[0].lower() in ("python", "py", "python3", "py3")))
        i = j + 1
    start, end, _ = ([b for b in blocks if b[2]] or blocks)[-1]
    body = text[start:end].strip("\n")
    return body if body.strip() else None


# ---------------------------------------------------------------------------------------------
# boxes


def find_boxes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every \\boxed{...}; an unclosed box runs to the end of the text."""
    out: list[tuple[int, int, str]] = []
    if "\\" not in text:
        return out  # every box starts with a backslash
    for m in _BOX_START.finditer(text):
        if out and m.start() < out[-1][1]:
            continue  # a box inside a box: the outer one is the answer
        j = m.end()
        if not m.group(0).endswith("{"):
            word = _BARE_BOX.match(text, j)
            out.append((m.start(), word.end(), word.group(0)))
            continue
        depth, k = 1, len(text)
        for b in _BRACE.finditer(text, j):
            if len(b.group(0)) == 2:
                continue  # an escaped brace
            depth += 1 if b.group(0) == "{" else -1
            if not depth:
                k = b.end()
                break
        out.append((m.start(), k, text[j : k - 1] if depth == 0 else text[j:]))
    return out


def last_boxed(text: str) -> str | None:
    """The content of the last box, stripped; None without one."""
    boxes = find_boxes(text)
    return boxes[-1][2].strip() if boxes else None


def _joinable(between: str) -> bool:
    if len(between) > 400:
        return False
    s = _CONNECTOR_STRIP.sub(lambda m: f" {m.group(1)} " if m.group(1) else " ", between)
    s = s.strip()
    if len(s) > 40 or "=" in s and not _CONNECTOR_WORD.search(s):
        return False
    if not re.search(r"[a-zA-Z]", s):
        return "\n\n" not in between and len(between) < 60
    return bool(_CONNECTOR_WORD.search(s)) and len(s.split()) <= 6


def box_groups(text: str) -> list[tuple[int, int, list[str]]]:
    """Boxes joined into answers: adjacent boxes separated only by connectors form one group."""
    groups: list[tuple[int, int, list[str]]] = []
    for start, end, content in find_boxes(text):
        if groups and _joinable(text[groups[-1][1] : start]):
            groups[-1][2].append(content)
            groups[-1] = (groups[-1][0], end, groups[-1][2])
        else:
            groups.append((start, end, [content]))
    return groups


def _negated(text: str, at: int) -> bool:
    """Does a negation ("not", "never", "isn't") come just before position `at` in its sentence?"""
    before = text[max(0, at - 60) : at]
    cut = max(before.rfind(". "), before.rfind("\n"), before.rfind("! "), before.rfind("? "))
    before = _DELIMS.sub(" ", before[cut + 1 :])
    return bool(_NEGATION.search(before.rstrip()))


# ---------------------------------------------------------------------------------------------
# math segments


def math_segments(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of $..$, $$..$$, \\(..\\), \\[..\\]; inline math never spans lines."""
    out: list[tuple[int, int, str]] = []
    open_tok: str | None = None
    open_at = 0
    for m in _DELIMS.finditer(text):
        tok = m.group(0)
        if open_tok is None:
            if tok in ("$$", "\\[", "\\(", "$"):
                open_tok, open_at = tok, m.end()
            continue
        closes = {"$$": "$$", "\\[": "\\]", "\\(": "\\)", "$": "$"}[open_tok]
        if tok == closes:
            content = text[open_at : m.start()]
            if open_tok in ("$", "\\(") and "\n" in content:
                # inline math does not cross lines: this delimiter opens a new segment
                open_tok, open_at = (tok, m.end()) if tok == "$" else (None, 0)
                continue
            if content.strip():
                out.append((open_at - len(open_tok), m.end(), content))
            open_tok = None
        elif open_tok == "$" and tok in ("$$", "\\[", "\\("):
            open_tok, open_at = tok, m.end()
    return out


def strip_math(s: str) -> str:
    """`s` without math delimiters, whitespace collapsed, and without edge punctuation."""
    s = _DELIMS.sub(" ", s)
    s = " ".join(s.split())
    minutes = s.endswith("'") and ("\\circ" in s or "°" in s)  # 60^\circ 42': the prime marks minutes
    s = s.strip(" ,;:\"'*") + ("'" if minutes else "")
    return s[:-1].rstrip() if s.endswith(".") else s


def _unwrap_math(s: str) -> str:
    """`$5$` -> `5`: delimiters removed only when one math segment is the whole text."""
    segs = math_segments(s)
    if len(segs) == 1 and segs[0][0] == 0 and segs[0][1] == len(s):
        return strip_math(s)
    return s


def _is_plain(s: str) -> bool:
    return not math_segments(s) and "\\" not in s


# ---------------------------------------------------------------------------------------------
# markers: boxes and answer phrases


def markers(text: str, rules: Sequence[str]) -> Extracted | None:
    """The marker answer ending last in `text` among the marker rules in `rules`, or None."""
    best: tuple[int, int, str, str, bool] | None = None  # (end, priority, answer, rule, plain)
    if "boxed" in rules:
        for start, end, contents in reversed(box_groups(text)[-_TRIES:]):
            if not _negated(text, start):
                best = (end, 1, ", ".join(c.strip() for c in contents), "boxed", False)
                break
    wanted = [r for r in ("answer_is", "answer_colon", "hashes") if r in rules]
    if wanted:
        found = _last_phrases(text)
        for i in range(len(found) - 1, max(-1, len(found) - 1 - _TRIES), -1):
            m = found[i]
            rule = m.lastgroup or ""
            if rule not in wanted:
                continue
            limit = min(len(text), m.end() + _WINDOW, found[i + 1].start() if i + 1 < len(found) else len(text))
            phrase = _phrase_text(text, m.end(), limit)
            end = m.end() + len(phrase)
            if best is not None and end < best[0]:
                break  # this phrase and every earlier one end before the box
            if rule == "hashes":
                answer = strip_math(phrase) or None
            elif _negated(text, m.start()):
                answer = None  # "is not the answer: 3"
            else:
                answer = _from_phrase(phrase, prose="bare" in rules)
            if answer:
                cand = (end, 0, answer, rule, not math_segments(phrase))
                if best is None or cand[:2] > best[:2]:
                    best = cand
                break
    if best is None:
        return None
    return Extracted(best[2].strip(), best[3], best[4])


def _last_phrases(text: str) -> list[re.Match[str]]:
    """The answer phrases of the text's tail, in order: at least the last `_TRIES` + 1 of them (or all).

    Tails of doubling length are searched, so a text of many phrases costs time for its last ones
    only. A phrase cut by a tail's start ("answer is" of "the answer is") has the same rule and end."""
    size = 8_192
    while True:
        start = max(0, len(text) - size)
        found = list(_PHRASES.finditer(text, start))
        if start == 0 or len(found) > _TRIES:
            return found
        size *= 4


_STOPS = re.compile(r"[\n.;!?]|I hope")  # where a sentence may end: `_phrase_text` checks what follows


def _phrase_text(text: str, start: int, limit: int) -> str:
    """The text after an answer phrase, up to the end of its sentence (math kept whole): a line break,
    a `.;!?` followed by a space or the limit, or "I hope", outside math."""
    i = start
    while i < limit and text[i] in " \t*:":
        i += 1
    segs = math_segments(text[start:limit])
    seg_i = 0
    for m in _STOPS.finditer(text, i, min(len(text), limit + 5)):  # "I hope" may run past the limit
        j = m.start()
        if j >= limit:
            break
        while seg_i < len(segs) and segs[seg_i][1] + start <= j:
            seg_i += 1
        if seg_i < len(segs) and segs[seg_i][0] + start <= j:
            continue  # inside math
        c = m.group(0)
        if c == "\n":
            if j > i:
                return text[i:j]
        elif len(c) > 1 or j + 1 >= limit or text[j + 1].isspace():
            return text[i:j]
    return text[i:limit]


def _from_phrase(phrase: str, prose: bool = False) -> str | None:
    """The answer inside the text after "the answer is": boxes, then math, then the whole, then a number.
    With `prose` (the caller takes prose answers: its rules include `bare`), a sentence holding no
    number is the answer ("Noah is a hero", a word list), and a lone "No" is a yes/no answer."""
    negated = re.match(r"\W*(?:\w+\s+)?(?:not|never|no)\b", phrase, re.IGNORECASE)
    if _HEDGE.search(phrase) or negated and not (prose and re.fullmatch(r"\W*no\W*", phrase, re.IGNORECASE)):
        return None
    boxes = box_groups(phrase)
    if boxes:
        return ", ".join(boxes[-1][2])
    inner = list(re.finditer(r"\bis\b\s*:?", phrase))
    if inner:
        tail = phrase[inner[-1].end():]
        if math_segments(tail) or _NUMBER.search(tail):
            phrase = tail
    segs = math_segments(phrase)
    if segs:
        head = segs[0][0]
        rest = phrase[head:]
        tail_text = strip_math(rest)
        if tail_text and len(_PROSE_WORD.findall(re.sub(r"\$[^$]*\$", " ", rest))) <= 2:
            return tail_text
        return strip_math(phrase[segs[-1][0] : segs[-1][1]])
    stripped = strip_math(phrase)
    if stripped and len(_PROSE_WORD.findall(stripped)) <= 2:
        return stripped
    nums = list(_NUMBER.finditer(phrase))
    if nums:
        return nums[-1].group(0).strip()
    return (stripped or None) if prose else None


# ---------------------------------------------------------------------------------------------
# the final line


def _final_region(text: str) -> str:
    """The last non-empty line, extended back over a display block that ends on it (at most _WINDOW chars)."""
    text = _TRAILERS.sub("", text.rstrip()).rstrip()
    tail_from = max(0, len(text) - _WINDOW)
    tail = text[tail_from:]
    start = tail.rfind("\n") + 1
    if start == 0 and tail_from > 0 and "\n" not in text[tail_from - 1 : tail_from]:
        return ""  # a last line longer than the window is prose, not an answer statement
    for s, e, _ in math_segments(tail):
        if s < start < e:
            start = s
    return tail[start:].strip()


def _last_sentence(region: str, segs: list[tuple[int, int, str]]) -> str:
    """The region's last sentence (a full stop inside math or between digits does not end one)."""
    cut = 0
    seg_i = 0
    for m in re.finditer(r"[.!?](?=\s|$)", region):
        k = m.start()
        while seg_i < len(segs) and segs[seg_i][1] <= k:
            seg_i += 1
        if seg_i < len(segs) and segs[seg_i][0] <= k:
            continue
        if region[k] == "." and k > 0 and region[k - 1].isdigit() and k + 1 < len(region) and region[k + 1].isdigit():
            continue
        if k + 1 < len(region):
            cut = k + 1
    return region[cut:]


def final_line(text: str) -> Extracted | None:
    """The answer of a final line that is an answer statement; None for any other final line.

    A statement is a line that is all math (or a bare number), or whose last sentence links a
    number or a math segment to it ("... is 12", "= 7", "A: 18", "Therefore $x<3$ ..."), not
    negated and not hedged. The line's other sentences and earlier lines are never read."""
    region = _final_region(text)
    if not region:
        return None
    sentence = _last_sentence(region, math_segments(region))
    if _HEDGE.search(sentence):
        return None
    segs = math_segments(sentence)
    cands: list[tuple[int, int, str, bool]] = []  # (start, end, answer, plain)
    for s, e, content in segs:
        pct = re.match(r"\s*(?:\\?%|percent\b|pct\b)", sentence[e : e + 12])
        cands.append((s, e, content + (" %" if pct else ""), False))
    masked = list(sentence)
    for s, e, _ in segs:
        masked[s:e] = " " * (e - s)
    for m in _NUMBER.finditer("".join(masked)):
        unit = _UNIT_TAIL.match(sentence, m.end())  # "5 cm": the unit is part of the answer
        keep = unit is not None and unit.group(1).lower() not in _SMALL_WORDS
        cands.append((m.start(), m.end(), sentence[m.start() : unit.end()] if keep else m.group(0), True))
    whole = _LINE_LABEL.sub("", strip_math(sentence))
    outside = _LATEX_COMMAND.sub(" ", "".join(masked)) if segs else ""  # words beside delimited math are prose
    if whole and not _PROSE_WORD.findall(_LATEX_COMMAND.sub(" ", whole)) and not any(
            w.lower() not in _MATH_WORDS for w in _WORD.findall(outside)) and (
            not cands or re.search(r"[\\=<>^(){}\[\]]", whole)):
        if _NEGATION_WORD.search(whole):
            return None  # "not \\boxed{3}"
        return Extracted(whole.strip().rstrip(".,;:"), "final_line", not segs and "\\" not in whole)  # all math
    if sentence.lstrip().startswith("(") and sentence.rstrip(" .").endswith(")"):
        return None  # an aside, not a statement
    rest = _DELIMS.sub(" ", sentence[cands[0][1] :]) if len(cands) == 1 else ""
    if len(cands) == 1 and not _DELIMS.sub(" ", sentence[: cands[0][0]]).strip(" *") and not _JUDGED.search(rest) and len(
            _WORD.findall(rest)) <= 2:  # "28 percent", "5 \\text{ meters}"; not "3 is not the answer"
        return Extracted(strip_math(cands[0][2]).rstrip(".,;:"), "final_line", cands[0][3])  # "28 percent"
    for start, _, answer, plain in sorted(cands, key=lambda c: c[1], reverse=True):
        before = _DELIMS.sub(" ", sentence[max(0, start - 60) : start]).rstrip(" *")
        if _negated(sentence, start) or _HEDGE_NEAR.search(before):
            continue
        if _LINK.search(before) or _CONCLUSION.match(before):
            return Extracted(strip_math(answer).rstrip(".,;:"), "final_line", plain)
    return None


__all__ = ["DEFAULT_RULES", "MARKERS", "RULES", "Extracted", "after_reasoning", "answer_tag", "box_groups",
           "clean", "code_block", "extract_answer", "find_boxes", "final_line", "last_boxed", "markers",
           "math_segments", "strip_math"]
