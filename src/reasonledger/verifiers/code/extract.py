"""The program in a response, read through the shared answer extractor (verifiers/answers.py).

Reasoning in <think>...</think> is never read (a response whose <think> is never closed has no
program). After it: the last fenced block (the last ```python one when any is tagged), else the
text itself; when that does not parse, the part that does after dropping prose before the program
(from a line where code starts) and after it (at a paragraph break).
"""

from __future__ import annotations

import ast
import re
from itertools import islice

from reasonledger.verifiers.answers import after_reasoning, extract_answer

# a line that can start a program: a statement keyword, a decorator, a call, an assignment
_CODE_LINE = re.compile(
    r"^(?:(?:async\s+)?def\s|class\s|import\s|from\s+[\w.]+\s+import\s|@|if\s|for\s|while\s|with\s|try\s*:|"
    r"[A-Za-z_][\w.]*\s*(?:\(|(?:\[[^\]\n]*\]\s*)?[-+*/%&|^@]?=(?!=)|,))",
    re.MULTILINE,
)
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
_STARTS_TRIED = 32  # lines tried as the program's start after prose; the text is parsed once per try
_ENDS_TRIED = 16  # paragraph breaks tried as its end before prose, for each of the first few starts
_PROSE_SEARCH_MAX = 1 << 16  # characters: a longer text is given whole


def extract_code(response: str) -> tuple[str, dict]:
    """(code, how): `how` goes into the verdict's evidence (source: markdown_fence, whole_response,
    after_prose or none; rule: code_block, bare, after_prose or None, as answers.py names its rules)."""
    fenced = extract_answer(response, ("code_block",))
    if fenced.answer is not None:
        return fenced.answer, {"source": "markdown_fence", "rule": "code_block"}
    visible = after_reasoning(response)
    if visible is None:
        return "", {"source": "none", "rule": None, "note": "a <think> block is never closed: no program after it"}
    text = visible.strip("\n")
    if len(text) > _PROSE_SEARCH_MAX or _parses(text):
        return text, {"source": "whole_response", "rule": "bare"}
    starts = [0] + [m.start() for m in islice(_CODE_LINE.finditer(text), _STARTS_TRIED) if m.start()]
    for start in starts[1:]:
        if _parses(text[start:]):
            return text[start:], {"source": "after_prose", "rule": "after_prose", "skipped_chars": start}
    ends = [m.start() for m in _PARAGRAPH_END.finditer(text)][::-1][:_ENDS_TRIED]
    for start in starts[:4]:  # prose after the program too: cut at a paragraph break
        for end in ends:
            if end > start and _parses(text[start:end]):
                return text[start:end], {"source": "after_prose", "rule": "after_prose", "skipped_chars": start, "cut_at": end}
    return text, {"source": "whole_response", "rule": "bare", "note": "does not parse as Python"}


def _parses(source: str) -> bool:
    """Does `source` parse as Python? (Parsed only, never run: the sandbox compiles it again.)"""
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True
