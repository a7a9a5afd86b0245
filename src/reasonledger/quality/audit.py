"""All audits over one pass of the data; the result is `audit.json`.

audit.json — one key per section, each a JSON object (stable; new keys may be added). A section
left out of `AuditConfig.sections` is absent; `records` is the number of records audited.

- `config`: every parameter used (the `AuditConfig`, with each audit's resolved settings).
- `contamination`: `method`, `records_checked`, `policy` {drop, report}, `flagged` (records with a
  relation the policy drops), `by_relation` (records by their strongest relation), `by_benchmark`
  (name -> flagged records), `benchmarks` (name -> {name, spec, revision, items, flagged, ...}),
  `hits_by_method` (flagged hits), `semantic` (shortlisted, unrelated, examples, embedder),
  `flagged_ids`, `hits` ([{record_id, benchmark, benchmark_row, relation, flagged, method:
  ngram|semantic, score, matched_span: {start, end, text}, matched_ngrams/item_ngrams, evidence}]).
- `near_duplicates`: `method`, `threshold`, `flagged` (records beyond the first of each cluster),
  `verified_pairs` (between records whose normalised prompts differ, plus one per exact copy,
  paired with the first record it repeats), `candidates`, `exact_pairs`, `exact_copies`,
  `clusters`, `cluster_examples` (lists of ids, every member), `pairs` ([{a, b, jaccard}],
  truncated to `max_listed`), `oversized_buckets`, `template_clusters` ([{source, digest, shingles,
  records, distinct_prompts, only_template, example}]: a task family's shared instruction, left
  out of the similarity and listed apart; not near-duplicates and not flagged).
- `exact_duplicates`: `method`, `groups`, `flagged`, `examples` (lists of ids).
- `difficulty`: `applicable`; when true `conditioning` {policy, n, temperature, verifier},
  `prompts`, `mean_pass_rate`, `histogram` {edges, counts}, `band` {low, high, count, share,
  confident_count, confident_share}, `posterior`, `by_source`, `per_prompt` [{record_id,
  passed, n, pass_rate, interval}].
- `length_trap`: `applicable`, `verifier`, `flag_rule`, `groups_tested`, `overall`/`by_source`/
  `by_policy` {attempts, prompts, accuracy, mean/median words right/wrong, `pooled` {r, p, by_length},
  `between_prompts` {r, p}, `within_prompts` {status, r, p, p_holm, conditional_logit, by_deviation},
  flagged}, `flagged`, `trap` (see quality/length_trap.py).
- `trace_answer_consistency`: `checked`, `consistent`, `inconsistent`, `flagged`,
  `answer_without_trace`, `no_stated_answer`, `trace_without_answer_field`, `extraction_rules`, `examples`.
- `verifier_agreement`: `applicable`, `ran` (the verifier run here, if any), `pairs` [{a, b,
  compared, agreement, both_pass, a_only, b_only, both_fail, examples_*, against_label
  {label, verifier, false_negative_rate, false_positive_rate}}], `flagged`.
- `lineage_completeness`: `fields`, `by_source` {records, missing {field: count}, complete},
  `incomplete_sources`, `flagged`.
- `agent_failures`: `applicable` (false without episodes or tool trajectories); `episodes`, `judged`,
  `flagged` (judged episodes that did not succeed), `outcomes`, `failed_calls` (by error kind),
  `by_environment` {env: {episodes, judged, failed, success_rate, outcomes, failed_calls, failing_tools,
  terminations, replay_diverged, examples {outcome: ids}}} (see quality/agent_failures.py).
- `mixture`: `records`, `by_source`/`by_domain`/`by_task_family`/`by_kind` {name: {records,
  share}}, `map` (how the 2-D map was made, or null).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reasonledger.quality.contamination import (
    Benchmark,
    ContaminationConfig,
    ContaminationScan,
    load_benchmark,
)
from reasonledger.quality.embed import EmbedderUnavailable
from reasonledger.quality.minhash import DistinctTexts, NearDupConfig, NearDuplicates, near_duplicates
from reasonledger.quality.minhash import describe as describe_near_dup
from reasonledger.quality.mixture import MixtureAudit, task_family
from reasonledger.quality.outcomes import outcomes
from reasonledger.quality.sections import AUDIT_SECTIONS, AuditSection
from reasonledger.quality.text import record_text
from reasonledger.records.model import Record, prompt_text
from reasonledger.records.normalise import prompt_digest
from reasonledger.stats.beta import DEFAULT_POSTERIOR

# reasonledger's own sections in report order (what a card names). The Auditor runs the audits of the
# whole data itself; the others are `audit section` plugins (quality/sections.py, named in builtins.py).
SECTIONS: tuple[str, ...] = ("contamination", "near_duplicates", "exact_duplicates", "difficulty", "length_trap",
                             "trace_answer_consistency", "verifier_agreement", "lineage_completeness",
                             "agent_failures", "mixture")
WHOLE_DATA = ("contamination", "near_duplicates", "exact_duplicates", "mixture")


def known_sections() -> list[str]:
    """reasonledger's sections in report order, then those plugins added."""
    return [*SECTIONS, *(name for name in AUDIT_SECTIONS if name not in SECTIONS)]


class AuditConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sections: list[str] = Field(default_factory=known_sections)  # which audits run
    against: list[str] = Field(default_factory=list)
    contamination: ContaminationConfig = Field(default_factory=ContaminationConfig)
    near_duplicates: NearDupConfig = Field(default_factory=NearDupConfig)
    verifier: str | None = None  # the verifier whose verdicts define difficulty and the length trap
    band: tuple[float, float] = (0.25, 0.75)
    level: float = Field(DEFAULT_POSTERIOR.level, gt=0, lt=1)  # difficulty's posterior intervals (shared default)
    flag_r: float = Field(0.1, ge=0, le=1)
    run_verifier: str | None = None  # verifier agreement: run this one against the stored verdicts
    run_verifier_config: dict[str, Any] = Field(default_factory=dict)
    run_input: str = Field("stated_answer", pattern="^(stated_answer|response)$")
    embedding_map: bool = True
    map_sample: int = Field(3000, ge=10)
    max_listed: int = Field(1000, ge=1)
    seed: int = 0

    @field_validator("sections")
    @classmethod
    def _known(cls, sections: list[str]) -> list[str]:
        known = known_sections()
        for name in sections:
            if name not in known:
                raise ValueError(f"unknown audit section {name!r}; known: {', '.join(known)}")
        return sections


class Auditor:
    """Feed records with `add`; `finish` runs the whole-data audits and returns audit.json's dict."""

    def __init__(self, config: AuditConfig, benchmarks: list[Benchmark] | None = None) -> None:
        self.config = config
        if benchmarks is None:
            benchmarks = [load_benchmark(spec) for spec in config.against]
        wanted = set(config.sections)
        self.contamination = ContaminationScan(benchmarks, config.contamination) \
            if benchmarks and "contamination" in wanted else None
        self.pending: list[Record] = []
        self.ids: list[str] = []
        self.dup_texts = DistinctTexts(config.near_duplicates.normalisation)  # copies kept as a number each
        self.digests: dict[bytes, list[str]] = {}
        self.sections: dict[str, AuditSection] = {
            name: AUDIT_SECTIONS[name](config) for name in config.sections if name not in WHOLE_DATA}
        self.mixture = MixtureAudit(config.map_sample, config.seed)
        self.points = None  # the 2-D mixture map and each point's source, once `finish` has drawn it
        self.point_sources: list[str] | None = None

    def add(self, record: Record) -> None:
        wanted = self.config.sections
        self.ids.append(record.id)
        if "near_duplicates" in wanted:
            self.dup_texts.add(prompt_text(record.task) if self.config.near_duplicates.text == "prompt" else record_text(record),
                               source=task_family(record))
        if "exact_duplicates" in wanted:
            self.digests.setdefault(prompt_digest(record), []).append(record.id)
        rows = outcomes(record)
        for section in self.sections.values():
            section.add(record, rows)
        if "mixture" in wanted:
            self.mixture.add(record)
        if self.contamination:
            self.pending.append(record)
            if len(self.pending) >= self.config.contamination.batch:
                self._flush()

    def add_many(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def _flush(self) -> None:
        if self.pending and self.contamination:
            self.contamination.scan(self.pending)
        self.pending = []

    def _near_duplicates(self) -> dict[str, Any]:
        cfg = self.config.near_duplicates
        found = near_duplicates(self.dup_texts, cfg)
        listed = list(islice(found.iter_pairs(), self.config.max_listed))
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
        names = self.dup_texts.source_names()
        clusters = []
        for k, template in enumerate(found.templates):
            members = found.template_members(k)
            clusters.append({"source": names[template.group], "digest": template.digest, "shingles": template.shingles,
                             "records": len(members), "distinct_prompts": template.holding,
                             "share": round(template.holding / template.texts, 4), "only_template": template.only_template,
                             "example": self.ids[int(members[0])]})
        return sorted(clusters, key=lambda c: -c["records"])

    def _exact_duplicates(self) -> dict[str, Any]:
        groups = [ids for ids in self.digests.values() if len(ids) > 1]
        return {"method": "hash of the normalised prompt (NFKC, case-folded, whitespace collapsed)",
                "groups": len(groups), "flagged": sum(len(g) - 1 for g in groups), "examples": groups[:20]}

    def _mixture(self) -> dict[str, Any]:
        embedding_map = None
        if self.config.embedding_map and self.mixture.reservoir:
            try:
                self.points, self.point_sources, embedding_map = self.mixture.map_points()
            except EmbedderUnavailable as exc:
                embedding_map = {"skipped": str(exc)}
        return self.mixture.result(embedding_map)

    def finish(self) -> dict[str, Any]:
        self._flush()
        contamination = self.contamination.result() if self.contamination else {
            "method": "not run", "reason": "no benchmark given (--against)", "flagged": 0, "by_benchmark": {},
            "flagged_ids": [], "hits": []}
        config = self.config.model_dump(mode="json")
        config["near_duplicates"] = describe_near_dup(self.config.near_duplicates)
        if self.contamination:
            config["contamination"] = self.contamination.describe()
        whole = {"contamination": lambda: contamination, "near_duplicates": self._near_duplicates,
                 "exact_duplicates": self._exact_duplicates, "mixture": self._mixture}
        results = {name: (whole[name] if name in whole else self.sections[name].result)()
                   for name in known_sections() if name in self.config.sections}
        return {"config": config, "records": len(self.ids), **results}


def audit_records(records: Iterable[Record], config: AuditConfig) -> tuple[dict[str, Any], Auditor]:
    auditor = Auditor(config)
    auditor.add_many(records)
    return auditor.finish(), auditor
