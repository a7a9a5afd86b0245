"""A filter keeps or drops records and says why, as datatrove's BaseFilter does: the loop, the drop
through the step context (so the record goes to `rejected/` with its reason and the funnel counts
it) and the records a filter does not judge are written here once; a filter writes only `judge`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from reasonledger.engine.pipeline import batches
from reasonledger.engine.step import Step, StepContext
from reasonledger.records.model import Kind, Record


@dataclass(frozen=True)
class Drop:
    """Why a filter drops a record: a reason (the funnel's key) and a detail for the rejected store."""
    reason: str
    detail: str | None = None


class Filter(Step):
    """Keep each record `judge` returns None for; drop the others with the `Drop` it returns. Records
    of a kind not in `kinds` (when set) pass unjudged. `batch_size()` records are judged together
    (`judge_batch`), for filters that look up many records at once."""

    kinds: ClassVar[frozenset[Kind] | None] = None

    def judge(self, record: Record, ctx: StepContext) -> Drop | None:
        raise NotImplementedError

    def judge_batch(self, records: list[Record], ctx: StepContext) -> list[Drop | None]:
        return [self.judge(record, ctx) for record in records]

    def batch_size(self) -> int:
        return 1

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        for batch in batches(records, self.batch_size()):
            judged = [r for r in batch if self.kinds is None or r.kind in self.kinds]
            drops = dict(zip((id(r) for r in judged), self.judge_batch(judged, ctx)))
            for record in batch:
                drop = drops.get(id(record))
                if drop is None:
                    yield record
                else:
                    ctx.drop(record, drop.reason, drop.detail)


__all__ = ["Drop", "Filter"]
