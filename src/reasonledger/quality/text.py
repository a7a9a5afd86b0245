"""The texts of a record and the word normalisation that n-gram matching and MinHash share.

Contamination must look at everything a model would train on (an item buried in a long solution
is still a leak), so `record_text` joins the prompt, the reference and every behaviour text.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from reasonledger.records.model import Record, prompt_text

# Unicode punctuation that NFKC leaves alone; ASCII punctuation is handled by the byte table.
SEPARATOR = " \x00 "  # between joined texts: NUL is a word of its own, never part of a text
_UNICODE_PUNCT = re.compile("[“”‘’«»‹›–—―…•·¡¿]")


@dataclass(frozen=True)
class Normalisation:
    """How words are compared; every knob is recorded in the audit's config.

    Words are bytes: ASCII text (nearly all of it) is lowercased, stripped of punctuation and
    given zero digits by one `bytes.translate`, which is what makes matching fast. Other text is
    NFKC-normalised and case-folded first. With `digits_to_zero` each digit becomes 0, so numbers
    of the same length compare equal (16 and 35); callers that want every number to be one word
    map runs of zeros together (`is_number`). Separators inside numbers (80,000; 1.5) become word
    breaks when `punctuation` is on.
    """

    lowercase: bool = True
    punctuation: bool = True    # ASCII and common Unicode punctuation become word breaks
    digits_to_zero: bool = True

    @cached_property
    def _table(self) -> bytes:
        table = bytearray(range(256))
        table[1:33] = b" " * 32  # control bytes and whitespace are word breaks; NUL stays (see `join`)
        if self.lowercase:
            for c in string.ascii_uppercase:
                table[ord(c)] = ord(c.lower())
        if self.punctuation:
            for c in string.punctuation:
                table[ord(c)] = ord(" ")
        if self.digits_to_zero:
            for c in string.digits:
                table[ord(c)] = ord("0")
        return bytes(table)

    def apply(self, text: str) -> bytes:
        return self.join([text])

    def join(self, texts: Sequence[str]) -> bytes:
        """The normalised texts joined by a NUL word. Only non-ASCII texts are touched one by one;
        the byte table then runs once over the whole join."""
        parts = [t if t.isascii() else self._unicode(t) for t in texts]
        joined = SEPARATOR.join(parts)
        if joined.count("\x00") != len(parts) - 1:  # some text holds a NUL of its own
            joined = SEPARATOR.join(t.replace("\x00", " ") for t in parts)
        return joined.encode("utf-8", "replace").translate(self._table)

    def _unicode(self, text: str) -> str:
        if self.lowercase:
            text = unicodedata.normalize("NFKC", text).casefold()
        if self.punctuation:
            text = _UNICODE_PUNCT.sub(" ", text)
        return text

    def words(self, text: str) -> list[bytes]:
        return self.apply(text).split()

    def is_number(self, word: bytes) -> bool:
        return self.digits_to_zero and not word.strip(b"0")

    def describe(self) -> dict[str, Any]:
        return {**asdict(self), "words": "bytes split on whitespace after the mapping above",
                "digits": "each digit becomes 0; a run of digits is one number word" if self.digits_to_zero else "kept"}


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(_as_text(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return " ".join(_as_text(v) for v in value)
    return str(value)


def behaviour_texts(record: Record) -> list[str]:
    """Every text the model produced in a record: response, trace, answer, steps, rollouts, pair, and
    an agent's calls, what they returned and what it said."""
    b = record.behaviour
    texts = [b.response, b.trace, b.answer, b.chosen, b.rejected]
    texts += [s.text for s in b.steps or []]
    texts += [r.response for r in b.rollouts or []]
    texts += [" ".join(_as_text(part) for part in (a.name, a.arguments, a.action, a.observation) if part is not None)
              for a in b.actions or []]
    texts += [m.content for m in b.messages or [] if m.role == "assistant"]
    if not b.actions:  # calls kept only in the conversation
        texts += [f"{c.function.name} {c.function.arguments}" for m in b.messages or [] for c in m.tool_calls or []]
    return [t for t in texts if t]


def record_text(record: Record) -> str:
    """Prompt, reference and behaviour of a record as one text, in that order."""
    parts = [prompt_text(record.task), _as_text(record.task.reference), *behaviour_texts(record)]
    return "\n".join(p for p in parts if p)
