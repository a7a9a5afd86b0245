"""The normalised prompt: the form two prompts must share to be duplicates, and its digest, so that
exact dedup, the audits, reuse accounting and the card key a prompt the same way."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from reasonledger.records.model import Record, prompt_text


def normalise_prompt(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: the form two prompts must share to be duplicates."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def prompt_digest(record: Record) -> bytes:
    return hashlib.blake2b(normalise_prompt(prompt_text(record.task)).encode(), digest_size=16).digest()
