"""Lineage completeness: which provenance fields the release card needs are missing, per source.

Coverage is lineage-relative: a record whose source revision, licence or generating model is
unknown cannot be traced when a gain or a failure has to be explained. Task fields apply to every
record; generator fields (model, sampling, seed) only to records whose behaviour a model produced.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from reasonledger.records.model import Kind, Record

TASK_FIELDS = ("source.revision", "source.license", "source.row_id", "source.split", "verifier", "verifier.version")
GENERATOR_FIELDS = ("generator.model", "generator.sampling", "generator.seed")


def _generated(record: Record) -> bool:
    b = record.behaviour
    return record.kind != Kind.prompt_answer or b.response is not None or b.answer is not None


def missing_fields(record: Record) -> list[str]:
    src, spec = record.task.source, record.task.verifier
    missing = [name for name, value in (("source.revision", src.revision), ("source.license", src.license),
                                        ("source.row_id", src.row_id), ("source.split", src.split),
                                        ("verifier", spec), ("verifier.version", spec and spec.version)) if not value]
    if _generated(record):
        events = record.lineage.events
        rollout_meta = [r.meta for r in record.behaviour.rollouts or []]
        model = any(e.model for e in events) or any(m.get("model") for m in rollout_meta) or record.meta.get("generator")
        sampling = any(e.sampling for e in events) or any("temperature" in m or "sampling" in m for m in rollout_meta)
        seed = any(e.seed is not None for e in events) or any("seed" in m for m in rollout_meta)
        missing += [name for name, ok in zip(GENERATOR_FIELDS, (model, sampling, seed)) if not ok]
    return missing


@dataclass
class LineageAudit:
    records: Counter[str] = field(default_factory=Counter)
    generated: Counter[str] = field(default_factory=Counter)
    missing: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, record: Record) -> None:
        source = record.task.source.dataset
        self.records[source] += 1
        self.generated[source] += _generated(record)
        self.missing[source].update(missing_fields(record))

    def result(self) -> dict[str, Any]:
        by_source = {}
        for source in sorted(self.records):
            missing = self.missing[source]
            by_source[source] = {
                "records": self.records[source], "generated_records": self.generated[source],
                "missing": {f: missing[f] for f in (*TASK_FIELDS, *GENERATOR_FIELDS) if missing[f]},
                "complete": not missing,
            }
        incomplete = [s for s, v in by_source.items() if not v["complete"]]
        return {"fields": {"task": list(TASK_FIELDS), "generator": list(GENERATOR_FIELDS),
                           "generator_fields_apply_to": "records whose behaviour a model produced"},
                "by_source": by_source, "incomplete_sources": incomplete, "flagged": len(incomplete)}
