"""Judge prompt templates, shipped as package data and pinned by sha256.

A template file (`templates/<id>.txt`) is a header of `#! ` lines (`about`, `grammar`, `label NAME
PATTERN`) followed by chat messages in ChatML (`<|im_start|>role ... <|im_end|>`) with
`{field}` placeholders. Its sha256 (the whole file: prompt and grammar) is listed in
`templates/SHA256SUMS`, checked when the template loads, and written into each judge's config, so a
changed prompt or grammar is a changed config hash and never reuses an old verdict.

Values are put into each message after the messages are split, so a response that contains ChatML
tokens cannot open a message of its own.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from reasonledger.verifiers.judgment.grammar import Grammar

_START, _END = "<|im_start|>", "<|im_end|>"


@dataclass(frozen=True)
class Template:
    id: str
    sha256: str
    about: str
    grammar: Grammar
    messages: tuple[tuple[str, str], ...]  # (role, content with {placeholders})

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(name for _, content in self.messages
                         for _, name, _, _ in string.Formatter().parse(content) if name)

    def render(self, **values: Any) -> list[dict[str, str]]:
        """The chat messages with every placeholder filled; a missing field is an error."""
        missing = sorted(self.fields - values.keys())
        if missing:
            raise ValueError(f"template {self.id!r} needs {', '.join(missing)}")
        text = {k: "" if v is None else str(v) for k, v in values.items()}
        return [{"role": role, "content": content.format_map(text).strip()} for role, content in self.messages]


def _shipped_sums() -> dict[str, str]:
    sums = resources.files(__package__).joinpath("templates").joinpath("SHA256SUMS").read_text(encoding="utf-8")
    return {name.removesuffix(".txt"): digest for digest, name in (line.split() for line in sums.splitlines() if line.strip())}


def template_ids() -> list[str]:
    return sorted(_shipped_sums())


@lru_cache(maxsize=None)
def load_template(template_id: str) -> Template:
    """The shipped template `template_id`, its bytes checked against SHA256SUMS."""
    sums = _shipped_sums()
    if template_id not in sums:
        raise ValueError(f"unknown judge template {template_id!r}; shipped: {', '.join(sorted(sums))}")
    raw = resources.files(__package__).joinpath("templates").joinpath(f"{template_id}.txt").read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sums[template_id]:
        raise ValueError(f"judge template {template_id}.txt has sha256 {digest}, SHA256SUMS says {sums[template_id]}: "
                         "the installed package is damaged or was edited; reinstall it")
    return parse_template(template_id, raw.decode("utf-8"), digest)


def parse_template(template_id: str, text: str, digest: str) -> Template:
    about, kind, labels = "", None, []
    body_at = text.find(_START)
    if body_at < 0:
        raise ValueError(f"template {template_id}: no {_START} message")
    for number, line in enumerate(text[:body_at].splitlines(), 1):
        if not line.strip():
            continue
        if not line.startswith("#! "):
            raise ValueError(f"template {template_id}:{number}: header lines start with '#! '")
        key, _, rest = line[3:].partition(" ")
        if key == "about":
            about = rest
        elif key == "grammar":
            kind = rest.strip()
        elif key == "label":
            name, _, pattern = rest.partition(" ")
            labels.append((name, pattern))
        else:
            raise ValueError(f"template {template_id}:{number}: unknown header {key!r} (about, grammar, label)")
    if kind is None:
        raise ValueError(f"template {template_id}: no '#! grammar' line")
    messages = []
    for chunk in text[body_at:].split(_START)[1:]:
        role, _, rest = chunk.partition("\n")
        if _END not in rest:
            raise ValueError(f"template {template_id}: the {role.strip()} message has no {_END}")
        messages.append((role.strip(), rest.split(_END, 1)[0]))
    return Template(template_id, digest, about, Grammar(kind, tuple(labels)), tuple(messages))  # type: ignore[arg-type]


__all__ = ["Template", "load_template", "parse_template", "template_ids"]
