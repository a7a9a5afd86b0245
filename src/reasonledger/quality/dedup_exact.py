"""Exact deduplication on the normalised prompt: the cheapest dedup, and the one every build needs."""

from __future__ import annotations

from collections.abc import Iterator

from reasonledger.engine.step import Step, StepContext, register_step
from reasonledger.records.model import Record
from reasonledger.records.normalise import prompt_digest


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
