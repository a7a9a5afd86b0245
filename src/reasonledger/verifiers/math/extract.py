"""Find the final answer in free-form model output, and say which rule found it.

Rules, strongest first; among the strong ones the one that ends last in the text wins, because
models restate and correct themselves:

- `<answer>...</answer>`: the last tag's content is searched with the rules below;
- `\\boxed{...}` / `\\fbox{...}` (nested braces; boxes joined by "and", "," or "\\quad" form one
  answer: `\\boxed{1}, \\boxed{2}`), "final answer is", "the answer is", "Answer:", `####` (GSM8K);
- otherwise the final line: its last sentence that holds math or a number, and in it the last
  math segment or standalone number.

A reference is usually the bare answer, so a short reference without markers is taken whole.
There is no "first number in the text" fallback: when none of the rules fires, the extraction
is None and the verdict says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Extraction:
    text: str  # the answer, LaTeX delimiters removed
    rule: str  # which rule fired
    plain: bool = False  # found in prose rather than in math (decimal commas allowed)


_CHAT_TOKENS = re.compile(r"<\|[a-z_]+\|>.*$|</s>\s*$|<\|endoftext\|>", re.DOTALL)
_CALCULATOR = re.compile(r"<<[^<>\n]{0,200}>>")  # GSM8K calculator annotations: <<16-3-4=9>>
_TRAILERS = re.compile(r"(?:I hope (?:it|this) is correct\.?|Hope (?:it|this) helps!?)\s*$", re.IGNORECASE)
_BOX_START = re.compile(r"\\(?:boxed|fbox)\s*\{|\\boxed (?=\S)")
_ANSWER_TAG = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.DOTALL | re.IGNORECASE)
_PHRASES = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|would be|will be|should be)\s*:?|"
    r"(?:final answer|answer)\s*\**\s*:\**|####",
    re.IGNORECASE,
)
_DELIMS = re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)|(?<!\\)\$")
_NUMBER = re.compile(
    r"(?<![\w.\\^_{])(?:[-\u2212]\s?)?(?:\d{1,3}(?: \d{3})+(?![\d])|\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+(?![a-zA-Z]))?|\.\d+)(?:\s*/\s*\d+(?:\.\d+)?)?(?:\s*(?:%|\\%|percent\b|pct\b))?(?![\d])"
)
_CONNECTOR_STRIP = re.compile(r"\\text(?:bf|rm|normal)?\s*\{([^{}]*)\}|\\q?quad|\\[,;:! ]|\\\(|\\\)|\\\[|\\\]|\$|\*\*")
_CONNECTOR_WORD = re.compile(r"\b(?:and|or)\b|&", re.IGNORECASE)
_PHRASE_WINDOW = 2_100  # past the answer-length limit, so an overlong answer is rejected, not cut
_LINE_LABEL = re.compile(r"^\w{1,12}\s*:\s+")
_PROSE_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{4,}")


def clean(text: str) -> str:
    """Drop chat-template tokens and reasoning before `</think>`; unescape literal newlines."""
    if "</think>" in text:
        tail = text.rsplit("</think>", 1)[1]
        if tail.strip():
            text = tail
    text = _CHAT_TOKENS.sub("", text)
    text = _CALCULATOR.sub("", text)
    if "\n" not in text and "\\n" in text:
        text = re.sub(r"\\n(?![a-zA-Z])", "\n", text)  # JSON-escaped text: `\n` before a non-letter
    return text.strip()


# ---------------------------------------------------------------------------------------------
# boxes


def find_boxes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every \\boxed{...}; an unclosed box runs to the end of the text."""
    out = []
    for m in _BOX_START.finditer(text):
        if out and m.start() < out[-1][1]:
            continue  # a box inside a box: the outer one is the answer
        if not m.group(0).endswith("{"):
            j = m.end()
            k = j
            while k < len(text) and not text[k].isspace() and text[k] not in "$.,;":
                k += 1
            out.append((m.start(), k, text[j:k]))
            continue
        depth = 1
        j = m.end()
        k = j
        while k < len(text) and depth:
            c = text[k]
            if c == "\\" and k + 1 < len(text) and text[k + 1] in "{}":
                k += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            k += 1
        content = text[j : k - 1] if depth == 0 else text[j:]
        out.append((m.start(), k, content))
    return out


def _joinable(between: str) -> bool:
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
            s0, _, contents = groups[-1]
            groups[-1] = (s0, end, contents + [content])
        else:
            groups.append((start, end, [content]))
    return groups


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


def _strip_math(s: str) -> str:
    s = re.sub(r"\$\$|\\\[|\\\]|\\\(|\\\)|(?<!\\)\$", " ", s)
    s = " ".join(s.split()).strip(" ,;:\"'*")
    return s[:-1].rstrip() if s.endswith(".") else s


# ---------------------------------------------------------------------------------------------
# answer phrases


def _phrase_text(text: str, start: int) -> str:
    """The text after an answer phrase, up to the end of its sentence (math kept whole)."""
    segs = math_segments(text[start : start + _PHRASE_WINDOW])
    limit = min(len(text), start + _PHRASE_WINDOW)
    i = start
    while i < limit and text[i] in " \t*:":
        i += 1
    seg_i = 0
    j = i
    while j < limit:
        while seg_i < len(segs) and segs[seg_i][1] + start <= j:
            seg_i += 1
        inside = seg_i < len(segs) and segs[seg_i][0] + start <= j < segs[seg_i][1] + start
        c = text[j]
        if not inside:
            if c == "\n" and j > i:
                break
            if c in ".;!?" and (j + 1 >= limit or text[j + 1].isspace()) and not (c == "." and j > 0 and text[j - 1].isdigit() and j + 1 < limit and text[j + 1].isdigit()):
                break
            if text.startswith("I hope", j):
                break
        j += 1
    return text[i:j]


def _from_phrase(phrase: str) -> str | None:
    """The answer inside the text after "the answer is": boxes, then math, then the whole, then a number."""
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
        tail_text = _strip_math(rest)
        if tail_text and len(_PROSE_WORD.findall(re.sub(r"\$[^$]*\$", " ", rest))) <= 2:
            return tail_text
        return _strip_math(phrase[segs[-1][0] : segs[-1][1]])
    stripped = _strip_math(phrase)
    if stripped and len(_PROSE_WORD.findall(stripped)) <= 2:
        return stripped
    nums = list(_NUMBER.finditer(phrase))
    if nums:
        return nums[-1].group(0).strip()
    return None


# ---------------------------------------------------------------------------------------------
# the final line


def _final_region(text: str) -> str:
    text = _TRAILERS.sub("", text.rstrip()).rstrip()
    segs = math_segments(text)
    lines = text.split("\n")
    # the last non-empty line, extended back over a display block that ends on it
    end = len(text)
    pos = end
    for line in reversed(lines):
        pos -= len(line)
        if line.strip():
            break
        pos -= 1
    start = max(0, pos)
    for s, e, _ in segs:
        if s < start < e:
            start = s
    return text[start:].strip()


def _from_final_line(region: str) -> str | None:
    """The answer in the final region (see `_final_region`)."""
    if not region:
        return None
    # sentences of the region, last first, skipping those without math or numbers
    cuts = [0]
    segs = math_segments(region)
    for m in re.finditer(r"[.!?](?=\s|$)", region):
        k = m.start()
        if any(s <= k < e for s, e, _ in segs):
            continue
        if region[k] == "." and k > 0 and region[k - 1].isdigit() and k + 1 < len(region) and region[k + 1].isdigit():
            continue
        cuts.append(k + 1)
    cuts.append(len(region))
    for a, b in reversed(list(zip(cuts, cuts[1:]))):
        sentence = region[a:b]
        cands = []
        sentence_segs = math_segments(sentence)
        for s, e, content in sentence_segs:
            after = sentence[e : e + 12]
            pct = re.match(r"\s*(?:\\?%|percent\b|pct\b)", after)
            cands.append((e, content + (" %" if pct else "")))
        masked = sentence
        for s, e, _ in sentence_segs:
            masked = masked[:s] + " " * (e - s) + masked[e:]
        for m in _NUMBER.finditer(masked):
            cands.append((m.end(), m.group(0)))
        whole = _LINE_LABEL.sub("", _strip_math(sentence))
        if whole and not _PROSE_WORD.findall(re.sub(r"\\[a-zA-Z]+", " ", whole)) and (
            not cands or re.search(r"[\\=<>^(){}\[\]]", whole)
        ):
            cands.append((len(sentence) + 1, whole))  # a line that is all math, delimiters or not
        if cands:
            cands.sort()
            return cands[-1][1].strip().rstrip(".,;:")
    return None


# ---------------------------------------------------------------------------------------------
# entry points


def extract_answer(text: str, reference: bool = False) -> Extraction | None:
    """The final answer of `text`, or None when no rule finds one."""
    text = clean(text)
    if not text:
        return None
    tags = list(_ANSWER_TAG.finditer(text))
    if tags:
        inner = tags[-1].group(1).strip()
        if inner:
            sub = extract_answer(inner, reference=True)
            if sub is not None:
                return Extraction(sub.text, "answer_tag" if sub.rule in ("reference", "final_line") else f"answer_tag+{sub.rule}", sub.plain)
    best: tuple[int, int, str, str, bool] | None = None  # (end, priority, answer, rule, plain)
    for start, end, contents in box_groups(text):
        answer = ", ".join(c.strip() for c in contents)
        rule = "boxed" if len(contents) == 1 else "boxed_multi"
        cand = (end, 1, answer, rule, False)
        if best is None or cand[:2] > best[:2]:
            best = cand
    for m in _PHRASES.finditer(text):
        phrase = _phrase_text(text, m.end())
        answer = _from_phrase(phrase) if m.group(0) != "####" else _strip_math(phrase).replace(",", "")
        if not answer:
            continue
        rule = "gsm8k_hash" if m.group(0) == "####" else "answer_phrase"
        cand = (m.end() + len(phrase), 0, answer, rule, not math_segments(phrase))
        if best is None or cand[:2] > best[:2]:
            best = cand
    if best is not None:
        return Extraction(best[2].strip(), best[3], best[4])
    if reference and _looks_like_answer(text):
        return Extraction(_strip_math(text), "reference", not math_segments(text) and "\\" not in text)
    region = _final_region(text)
    answer = _from_final_line(region)
    if answer:
        plain = not any(answer in c for _, _, c in math_segments(region))
        return Extraction(_strip_math(answer), "final_line", plain)
    return None


def _looks_like_answer(text: str) -> bool:
    """A bare answer, not a solution: short, on one line, and at most three words outside \\text{...}."""
    if len(text) > 400 or "\n" in re.sub(r"\$\$.*?\$\$|\\\[.*?\\\]", " ", text, flags=re.DOTALL).strip():
        return False
    words = re.sub(r"\\(?:text|mbox|textbf|mathrm)\s*\{[^{}]*\}|\\[a-zA-Z]+", " ", text)
    return len(_PROSE_WORD.findall(words)) <= 3


# ---------------------------------------------------------------------------------------------
# multiple choice

_CHOICE_TEXT = re.compile(r"^\s*\(?\s*([A-J])\s*\)?\s*[.:]?\s*$")


def choice_letter(answer: str) -> str | None:
    """The letter of a reference like `C`, `(C)`, `\\text{C}`, `$\\boxed{C}$`; None otherwise."""
    s = answer
    for _ in range(3):
        s = re.sub(r"\\(?:text|textbf|mathrm|mathbf|boxed)\s*\{([^{}]*)\}", r"\1", s)
    s = _strip_math(s)
    m = _CHOICE_TEXT.match(s)
    return m.group(1) if m else None


def extract_choice(text: str, letters: str = "ABCDEFGHIJ") -> Extraction | None:
    """The chosen option letter: boxed, after "answer is"/"Answer:", a line starting with it, or standing alone."""
    text = clean(text)
    opts = re.escape(letters)
    boxes = box_groups(text)
    found: list[tuple[int, int, str, str]] = []
    if boxes:
        letter = choice_letter(boxes[-1][2][-1])
        if letter and letter in letters:
            found.append((3, boxes[-1][1], letter, "boxed"))
    for m in re.finditer(rf"(?:answer|option|choice)\s*(?:is|:)?\s*[:\s]*\**\s*\(?([{opts}])\)?(?![a-zA-Z])", text, re.IGNORECASE):
        if m.group(1).upper() in letters:
            found.append((2, m.end(), m.group(1).upper(), "answer_phrase"))
    for m in re.finditer(rf"(?m)^\s*\**(?:\(([{opts}])\)|([{opts}])[.:)]|([{opts}])\**\s*$)", text):
        found.append((1, m.end(), m.group(1) or m.group(2) or m.group(3), "line_start"))
    if found:
        found.sort()
        _, _, letter, rule = found[-1]
        return Extraction(letter, rule)
    alone = [m for m in re.finditer(rf"(?<![\w\\])([{opts}])(?![\w])", text)
             if not (m.group(1) in "AI" and re.match(r"\s+[a-z]", text[m.end():]))]
    if alone:
        return Extraction(alone[-1].group(1), "standalone_letter")
    return None
