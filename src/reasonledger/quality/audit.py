"""All audits over one pass of the data; the result is `audit.json`.

audit.json — one key per section, each a JSON object (stable; new keys may be added). A section
left out of `AuditConfig.sections` is absent; `records` is the number of records audited.

- `config`: every parameter used (the `AuditConfig`, with each audit's resolved settings).
- `contamination`: `method`, `records_checked`, `policy` {drop, report}, `flagged` (records with a
  relation the policy drops), `by_relation` (records by their strongest relation), `by_benchmark`
  (name -> flagged records), `benchmarks` (name -> {name, spec, revision, items, flagged, ...}),
  `hits_by_method` (flagged hits), `semantic` (shortlisted, shortlisted_by_quantities, unrelated,
  examples, embedder), `flagged_ids`, `hits` ([{record_id, benchmark, benchmark_row, relation, flagged,
  method: ngram|semantic|quantities, score, matched_span: {start, end, text}, matched_ngrams/item_ngrams, evidence}]).
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
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reasonledger.quality.contamination import ContaminationConfig
from reasonledger.quality.minhash import NearDupConfig
from reasonledger.quality.outcomes import outcomes
from reasonledger.quality.sections import AUDIT_SECTIONS, AuditSection
from reasonledger.records.model import Record
from reasonledger.stats.beta import DEFAULT_POSTERIOR

# reasonledger's own sections in report order (what a card names), each an `audit section` plugin named in
# builtins.py: the audits of the whole data in quality/whole_data.py, the others in quality/sections.py.
SECTIONS: tuple[str, ...] = ("contamination", "near_duplicates", "exact_duplicates", "difficulty", "length_trap",
                             "trace_answer_consistency", "verifier_agreement", "lineage_completeness",
                             "agent_failures", "mixture")


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
    """Feed records with `add`; `finish` gathers every section's result into audit.json's dict."""

    def __init__(self, config: AuditConfig) -> None:
        self.config = config
        self.records = 0
        self.sections: dict[str, AuditSection] = {name: AUDIT_SECTIONS[name](config) for name in config.sections}

    @property
    def points(self) -> Any:
        """The mixture map's 2-D points once `finish` has drawn them (None without the map)."""
        return getattr(self.sections.get("mixture"), "points", None)

    @property
    def point_sources(self) -> list[str] | None:
        return getattr(self.sections.get("mixture"), "point_sources", None)

    def add(self, record: Record) -> None:
        self.records += 1
        rows = outcomes(record)
        for section in self.sections.values():
            section.add(record, rows)

    def add_many(self, records: Iterable[Record]) -> None:
        for record in records:
            self.add(record)

    def finish(self) -> dict[str, Any]:
        results = {name: self.sections[name].result() for name in known_sections() if name in self.sections}
        config = self.config.model_dump(mode="json")
        for name, section in self.sections.items():
            settings = getattr(section, "settings", None)
            described = settings() if callable(settings) else None
            if described is not None:
                config[name] = described
        return {"config": config, "records": self.records, **results}


def audit_records(records: Iterable[Record], config: AuditConfig) -> tuple[dict[str, Any], Auditor]:
    auditor = Auditor(config)
    auditor.add_many(records)
    return auditor.finish(), auditor
