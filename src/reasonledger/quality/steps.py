"""The audits as recipe steps: `decontaminate` and `near_dedup` drop, `audit` only reports.

Benchmarks and relative paths in `against` are resolved against the current directory (the
directory `reasonledger build` runs in).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field

from reasonledger.engine.filter import Drop, Filter
from reasonledger.engine.step import Step, StepContext, register_step
from reasonledger.quality.audit import AuditConfig, Auditor
from reasonledger.quality.contamination import (
    Benchmark,
    ContaminationConfig,
    ContaminationScan,
    load_benchmark,
)
from reasonledger.quality.relations import rank
from reasonledger.quality.minhash import DistinctTexts, NearDupConfig, near_duplicates
from reasonledger.quality.mixture import task_family
from reasonledger.quality.report import write_report
from reasonledger.quality.text import record_text
from reasonledger.records.model import Record, prompt_text
from reasonledger.records.parquet import read_parquet_records, write_parquet_shards


class DecontaminateParams(ContaminationConfig):
    against: list[str] = Field(min_length=1)


@register_step
class Decontaminate(Filter):
    """Drop records whose strongest relation to a benchmark item is in the `drop` policy (default:
    verbatim, reworded, renumbered); reason `contaminated`, detail names benchmark, row and relation.
    Every record's strongest relation is counted (`relation.<name>`), dropped or not."""

    name = "decontaminate"
    scope = "record"
    Params = DecontaminateParams

    @cached_property
    def benchmarks(self) -> list[Benchmark]:
        return [load_benchmark(spec) for spec in self.params.against]

    @cached_property
    def scanner(self) -> ContaminationScan:
        return ContaminationScan(self.benchmarks, ContaminationConfig(**self.params.model_dump(exclude={"against"})))

    def versions(self) -> dict[str, str]:
        """The embedding table and, per benchmark, its revision ("unknown" without one) and a digest
        of its items, so the run log and the card say exactly what the data was checked against."""
        found = {f"benchmark:{b.name}": f"{b.revision or 'unknown'} sha256:{b.digest()[:16]}" for b in self.benchmarks}
        if self.params.semantic:
            from reasonledger.quality.embed import DISTILL_VERSION

            found["minilm-static"] = DISTILL_VERSION
        return found

    def batch_size(self) -> int:
        return self.params.batch

    def judge_batch(self, records: list[Record], ctx: StepContext) -> list[Drop | None]:
        hits: dict[str, dict[str, Any]] = {}  # each record's strongest hit
        for hit in self.scanner.find(records):
            held = hits.get(hit["record_id"])
            if held is None or rank(hit["relation"]) < rank(held["relation"]):
                hits[hit["record_id"]] = hit
        drops: list[Drop | None] = []
        for record in records:
            hit = hits.get(record.id)
            if hit is not None:
                ctx.tally("relation", hit["relation"])
            if hit is None or not hit["flagged"]:
                drops.append(None)
                continue
            ctx.tally("flagged", hit["method"])
            ctx.tally("benchmark", hit["benchmark"])
            drops.append(Drop("contaminated", f"{hit['benchmark']} row {hit['benchmark_row']}: "
                                              f"{hit['relation']} ({hit['method']} score {hit['score']})"))
        return drops


@register_step
class NearDedup(Step):
    """Keep the first record of each near-duplicate cluster (MinHash LSH, verified by exact Jaccard);
    the others are dropped with reason `near_duplicate`."""

    name = "near_dedup"
    scope = "global"
    Params = NearDupConfig

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        """Records are spilled to Parquet while their texts are collected, so memory holds the
        distinct texts and their signatures, not the records (an exact copy costs one number); the
        second pass reads them back in order."""
        spill_root = ctx.run.work if ctx.run else None
        if spill_root:
            spill_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="near_dedup-", dir=spill_root) as spill:
            texts = DistinctTexts(self.params.normalisation)

            def collect() -> Iterator[Record]:
                for record in records:
                    texts.add(prompt_text(record.task) if self.params.text == "prompt" else record_text(record), record.id,
                              task_family(record))
                    yield record

            write_parquet_shards(collect(), spill)
            found = near_duplicates(texts, self.params)
            ctx.count("candidates", found.candidates)
            ctx.count("verified_pairs", found.verified_pairs())
            root = np.arange(len(texts))  # the first record of each one's cluster
            partner = found.duplicate_of.copy()  # its closest earlier record: the first copy, or
            similarity = np.ones(len(texts))  # the best verified pair's (a first text's partners are firsts)
            best = np.full(len(texts), -1.0)
            for i, j, score in found.pairs:
                if score > best[j]:
                    best[j], partner[j], similarity[j] = score, i, score
            for cluster in found.clusters:
                root[cluster] = cluster[0]
            for index, record in enumerate(read_parquet_records(spill)):
                if root[index] == index:
                    yield record
                    continue
                if best[index] < 0 and partner[index] == index:  # clustered through later texts only
                    partner[index], similarity[index] = root[index], float("nan")
                ctx.drop(record, "near_duplicate", f"cluster of {texts.label(int(root[index]))}; Jaccard "
                                                   f"{similarity[index]:.3f} with {texts.label(int(partner[index]))}")


class AuditParams(AuditConfig):
    model_config = ConfigDict(extra="forbid")
    out: str = "audit"


@register_step
class Audit(Step):
    """Write audit.json/md/html for the records passing through into RUN_DIR/<out>; drops nothing.
    `sections` picks the audits (all by default), so each audit can also run as a step on its own."""

    name = "audit"
    scope = "global"
    Params = AuditParams

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        auditor = Auditor(AuditConfig(**self.params.model_dump(exclude={"out"})))
        for record in records:
            auditor.add(record)
            yield record
        result = auditor.finish()
        for section in ("contamination", "near_duplicates", "exact_duplicates"):
            if section in result:
                ctx.count(section, result[section]["flagged"])
        out = (ctx.run.root if ctx.run else Path(".")) / self.params.out
        write_report(result, out, auditor.points, auditor.point_sources)
