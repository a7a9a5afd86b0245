"""Exact deduplication on the normalised prompt: the cheapest dedup, and the one every build needs."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator

from reasonledger.engine.step import Step, StepContext, register_step
from reasonledger.records.model import Record, prompt_text


def normalise_prompt(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: the form two prompts must share to be duplicates."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def prompt_digest(record: Record) -> bytes:
    return hashlib.blake2b(normalise_prompt(prompt_text(record.task)).encode(), digest_size=16).digest()


@register_step
class ExactDedup(Step):
    """Keep the first record of each normalised prompt; later ones are dropped as `duplicate`."""

    name = "dedup"
    scope = "global"

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        first: dict[bytes, str] = {}
        for record in records:
            digest = prompt_digest(record)
            if digest in first:
                ctx.drop(record, "duplicate", f"same normalised prompt as {first[digest]}")
            else:
                first[digest] = record.id
                yield record
