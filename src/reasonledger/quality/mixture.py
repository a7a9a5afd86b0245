"""Source mixture and coverage: records per source, domain, task family and kind, and a 2-D map.

More data is not more coverage: the map (static MiniLM embeddings of a seeded sample of prompts,
projected on their first two principal components) shows whether the sources fill different
regions or pile onto the same one.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reasonledger.records.model import Record, prompt_text


def task_family(record: Record) -> str:
    """The task family: reasoning-gym's task name, a reference's `dataset`, else the source dataset."""
    family = record.meta.get("task_family")
    reference = record.task.reference
    if not family and isinstance(reference, dict):
        family = reference.get("dataset")
    return str(family or record.task.source.dataset)


@dataclass
class MixtureAudit:
    sample: int = 3000
    seed: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=lambda: {k: Counter() for k in ("source", "domain", "task_family", "kind")})
    seen: int = 0
    reservoir: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def add(self, record: Record) -> None:
        source = record.task.source.dataset
        for key, value in (("source", source), ("domain", record.task.domain or "unknown"),
                           ("task_family", task_family(record)), ("kind", record.kind.value)):
            self.counts[key][value] += 1
        self.seen += 1
        item = (source, prompt_text(record.task))
        if len(self.reservoir) < self.sample:
            self.reservoir.append(item)
        else:
            slot = self.rng.randrange(self.seen)
            if slot < self.sample:
                self.reservoir[slot] = item

    def map_points(self) -> tuple[np.ndarray, list[str], dict[str, Any]]:
        """(2-D points, their sources, description) of the sampled prompts."""
        from reasonledger.quality.embed import StaticEmbedder

        embedder = StaticEmbedder()
        texts = [t for _, t in self.reservoir]
        embedder.fit_idf(texts)
        vectors = embedder.encode(texts)
        centred = vectors - vectors.mean(axis=0)
        _, singular, components = np.linalg.svd(centred, full_matrices=False)
        points = centred @ components[:2].T
        explained = (singular**2 / max((singular**2).sum(), 1e-12))[:2]
        return points, [s for s, _ in self.reservoir], {
            "points": len(texts), "sampled_from": self.seen, "seed": self.seed,
            "method": "PCA (2 components) of static MiniLM prompt embeddings", "explained_variance": [round(float(v), 4) for v in explained],
            "embedder": embedder.describe()}

    def result(self, embedding_map: dict[str, Any] | None) -> dict[str, Any]:
        total = max(self.seen, 1)
        return {
            "records": self.seen,
            **{f"by_{key}": {k: {"records": v, "share": round(v / total, 4)} for k, v in counts.most_common()}
               for key, counts in self.counts.items()},
            "map": embedding_map,
        }
