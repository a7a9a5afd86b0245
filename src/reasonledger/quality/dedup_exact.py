"""Exact deduplication on the normalised prompt: the cheapest dedup, and the one every build needs."""

from __future__ import annotations

from collections.abc import Iterator

from reasonledger.engine.filter import Drop, Filter
from reasonledger.engine.step import StepContext, register_step
from reasonledger.records.model import Record
from reasonledger.records.normalise import prompt_digest


@register_step
class ExactDedup(Filter):
    """Keep the first record of each normalised prompt; later ones are dropped as `duplicate`."""

    name = "dedup"
    scope = "global"

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        self.first: dict[bytes, str] = {}  # the first record of each prompt, over this one pass
        return super().process(records, ctx)

    def judge(self, record: Record, ctx: StepContext) -> Drop | None:
        digest = prompt_digest(record)
        if digest in self.first:
            return Drop("duplicate", f"same normalised prompt as {self.first[digest]}")
        self.first[digest] = record.id
        return None
