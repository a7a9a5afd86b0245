"""The audits of the whole data as `audit section`s: contamination against benchmarks, near and exact
duplicates, and the source mixture with its map.

Each is made from the audit's config like any section (`quality/sections.py`) and fed every record,
but keeps only what the whole-data pass needs (texts, digests, a sample) and does its work in
`result()`. A section may also give `settings()`: its resolved settings, which replace its part of
audit.json's `config`.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

import numpy as np

from reasonledger.quality.contamination import ContaminationScan, load_benchmark
from reasonledger.quality.embed import EmbedderUnavailable
from reasonledger.quality.minhash import DistinctTexts, NearDuplicates, describe, near_duplicates
from reasonledger.quality.mixture import MixtureAudit, task_family
from reasonledger.quality.outcomes import Outcome
from reasonledger.quality.text import record_text
from reasonledger.records.model import Record, prompt_text
from reasonledger.records.normalise import prompt_digest

NOT_RUN = {"method": "not run", "reason": "no benchmark given (--against)", "flagged": 0, "by_benchmark": {},
           "flagged_ids": [], "hits": []}


class ContaminationSection:
    """Records against the benchmarks of `config.against`, scanned in batches of `contamination.batch`."""

    def __init__(self, config: Any) -> None:
        benchmarks = [load_benchmark(spec) for spec in config.against]
        self.batch = config.contamination.batch
        self.scan = ContaminationScan(benchmarks, config.contamination) if benchmarks else None
        self.pending: list[Record] = []

    def add(self, record: Record, outcomes: list[Outcome]) -> None:
        if self.scan:
            self.pending.append(record)
            if len(self.pending) >= self.batch:
                self._flush()

    def _flush(self) -> None:
        if self.pending and self.scan:
            self.scan.scan(self.pending)
        self.pending = []

    def result(self) -> dict[str, Any]:
        self._flush()
        return self.scan.result() if self.scan else dict(NOT_RUN)

    def settings(self) -> dict[str, Any] | None:
        return self.scan.describe() if self.scan else None


class NearDuplicateSection:
    """Exact copies grouped, each task family's template left out, then MinHash LSH verified by exact Jaccard."""

    def __init__(self, config: Any) -> None:
        self.config = config.near_duplicates
        self.max_listed = config.max_listed
        self.texts = DistinctTexts(self.config.normalisation)  # copies kept as a number each
        self.ids: list[str] = []

    def add(self, record: Record, outcomes: list[Outcome]) -> None:
        self.ids.append(record.id)
        self.texts.add(prompt_text(record.task) if self.config.text == "prompt" else record_text(record),
                       source=task_family(record))

    def result(self) -> dict[str, Any]:
        cfg = self.config
        found = near_duplicates(self.texts, cfg)
        listed = list(islice(found.iter_pairs(), self.max_listed))
        return {"method": "exact copies grouped by normalised text; each task family's shared instruction (template) "
                          "left out; then MinHash LSH with every candidate verified by exact Jaccard",
                "threshold": cfg.threshold,
                "text": cfg.text, "flagged": sum(len(c) - 1 for c in found.clusters),
                "verified_pairs": found.verified_pairs(), "candidates": found.candidates,
                "exact_pairs": sum(1 for *_, s in found.pairs if s == 1.0) + len(found.copies),
                "exact_copies": len(found.copies), "clusters": len(found.clusters),
                "largest_cluster": max((len(c) for c in found.clusters), default=0),
                "cluster_examples": [[self.ids[i] for i in c] for c in found.clusters[:50]],
                "pairs": [{"a": self.ids[i], "b": self.ids[j], "jaccard": round(s, 4)} for i, j, s in listed],
                "pairs_truncated": found.verified_pairs() > len(listed), "oversized_buckets": found.oversized_buckets,
                "template_clusters": self._template_clusters(found)}

    def _template_clusters(self, found: NearDuplicates) -> list[dict[str, Any]]:
        names = self.texts.source_names()
        clusters = []
        for k, template in enumerate(found.templates):
            members = found.template_members(k)
            clusters.append({"source": names[template.group], "digest": template.digest, "shingles": template.shingles,
                             "records": len(members), "distinct_prompts": template.holding,
                             "share": round(template.holding / template.texts, 4), "only_template": template.only_template,
                             "example": self.ids[int(members[0])]})
        return sorted(clusters, key=lambda c: -c["records"])

    def settings(self) -> dict[str, Any]:
        return describe(self.config)


class ExactDuplicateSection:
    """Records whose normalised prompts hash the same."""

    def __init__(self, config: Any) -> None:
        self.digests: dict[bytes, list[str]] = {}

    def add(self, record: Record, outcomes: list[Outcome]) -> None:
        digest = outcomes[0].prompt if outcomes else prompt_digest(record)  # a judged record's outcomes carry it
        self.digests.setdefault(digest, []).append(record.id)

    def result(self) -> dict[str, Any]:
        groups = [ids for ids in self.digests.values() if len(ids) > 1]
        return {"method": "hash of the normalised prompt (NFKC, case-folded, whitespace collapsed)",
                "groups": len(groups), "flagged": sum(len(g) - 1 for g in groups), "examples": groups[:20]}


class MixtureSection:
    """Records per source, domain, task family and kind, and (with `embedding_map`) the 2-D map, whose
    points and their sources stay here for the report's plot once `result()` has drawn them."""

    def __init__(self, config: Any) -> None:
        self.audit = MixtureAudit(config.map_sample, config.seed)
        self.embedding_map = config.embedding_map
        self.points: np.ndarray | None = None
        self.point_sources: list[str] | None = None

    def add(self, record: Record, outcomes: list[Outcome]) -> None:
        self.audit.add(record)

    def result(self) -> dict[str, Any]:
        embedding_map = None
        if self.embedding_map and self.audit.reservoir:
            try:
                self.points, self.point_sources, embedding_map = self.audit.map_points()
            except EmbedderUnavailable as exc:
                embedding_map = {"skipped": str(exc)}
        return self.audit.result(embedding_map)
