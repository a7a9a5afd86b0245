"""One pass over the released records, collecting every fact the release card derives from data.

The card must stay a small part of a build, so the data is read exactly once: each record
updates a handful of counters here and is then forgotten.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reasonledger.records.agent import replay_verdict
from reasonledger.records.model import Kind, Record, canonical_json, json_digest
from reasonledger.records.normalise import prompt_digest
from reasonledger.records.targets import conditioning, is_part, rollout_verdicts, target_kind

PASS_RATE_BINS = 10


@dataclass
class VerdictGroup:
    """All verdicts of one verifier at one version and config."""

    label_sources: Counter[str] = field(default_factory=Counter)
    targets: Counter[str] = field(default_factory=Counter)  # every verdict, parts (a rubric's items) too
    passed: int = 0  # verdicts on whole responses: a part is weighed in the verdict on its whole
    failed: int = 0


@dataclass
class DataFacts:
    records: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_domain: Counter[str] = field(default_factory=Counter)
    sources: Counter[tuple[str, str | None, str | None]] = field(default_factory=Counter)
    # how many records carry each releasable part (prompts, answers, traces, ...)
    carries: Counter[str] = field(default_factory=Counter)
    verdicts: dict[tuple[str, str, str], VerdictGroup] = field(default_factory=dict)
    # verifier name -> config hash -> the config a task names (to re-run its verdicts)
    task_verifiers: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    records_with_verdicts: int = 0
    generators: Counter[str] = field(default_factory=Counter)
    generator_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    lineage_steps: Counter[str] = field(default_factory=Counter)
    with_parents: int = 0
    with_events: int = 0
    prompt_digests: set[bytes] = field(default_factory=set)
    prompt_chars: int = 0
    response_chars: int = 0
    responses: int = 0
    rollouts_per_record: Counter[int] = field(default_factory=Counter)
    pass_rate_hist: list[int] = field(default_factory=lambda: [0] * PASS_RATE_BINS)
    pass_rate_min: float | None = None
    pass_rate_max: float | None = None
    conditionings: Counter[str] = field(default_factory=Counter)  # canonical JSON -> records
    # environment -> outcome (success, wrong_state, truncated, ...) -> episodes the environment verifier judged
    episode_outcomes: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        self.records += 1
        task = record.task
        self.by_kind[record.kind.value] += 1
        self.by_domain[task.domain or "unknown"] += 1
        self.sources[(task.source.dataset, task.source.revision, task.source.license)] += 1
        self.prompt_digests.add(prompt_digest(record))
        self.prompt_chars += len(canonical_json(task.prompt)) if not isinstance(task.prompt, str) else len(task.prompt)
        self._carries(record)
        if task.verifier is not None:
            by_hash = self.task_verifiers.setdefault(task.verifier.name, {})
            by_hash.setdefault(json_digest(task.verifier.config), task.verifier.config)
        if record.verdicts:
            self.records_with_verdicts += 1
        for verdict in record.verdicts:
            group = self.verdicts.setdefault((verdict.verifier, verdict.version, verdict.config_hash), VerdictGroup())
            group.label_sources[verdict.label_source] += 1
            group.targets[target_kind(verdict.target)] += 1
            if is_part(verdict.target):  # a rubric's items are weighed in its verdict on the whole
                continue
            if verdict.passed:
                group.passed += 1
            else:
                group.failed += 1
        self._lineage(record)
        self._responses(record)
        self._pass_rate(record)
        self._episode_outcome(record)

    def _episode_outcome(self, record: Record) -> None:
        found = _outcome_of(record)
        if found is not None:
            self.episode_outcomes.setdefault(found[0], Counter())[found[1]] += 1

    def _carries(self, record: Record) -> None:
        task, b = record.task, record.behaviour
        parts = {
            "prompts": True,
            "answers": task.reference is not None or b.answer is not None,
            "traces": bool(b.trace) or record.kind in (Kind.trace, Kind.step_trace),
            "step_labels": any(s.label is not None for s in b.steps or []),
            "rollouts": bool(b.rollouts),
            "preferences": b.chosen is not None and b.rejected is not None,
            "rewards": any(v.target != "reference" for v in record.verdicts),
            "verifier": task.verifier is not None,
            "environment": record.kind in (Kind.tool_trajectory, Kind.episode)
            or (isinstance(task.reference, dict) and "environment" in task.reference),
            "trajectories": bool(b.actions or b.messages),
        }
        for part, present in parts.items():
            if present:
                self.carries[part] += 1

    def _lineage(self, record: Record) -> None:
        if record.lineage.parents:
            self.with_parents += 1
        if record.lineage.events:
            self.with_events += 1
        for event in record.lineage.events:
            self.lineage_steps[f"{event.stage}/{event.step}"] += 1
            if event.model:
                self._generator(event.model, event.revision, event.sampling)
        if any(e.model for e in record.lineage.events):
            return
        # imported data: the model is named only on the rollouts or in meta, without a revision
        for model in sorted({str(r.meta["model"]) for r in record.behaviour.rollouts or [] if r.meta.get("model")}):
            self._generator(model, None, None)
        generator = record.meta.get("generator")
        if isinstance(generator, str) and generator:
            self._generator(generator, None, None)

    def _generator(self, model: str, revision: str | None, sampling: dict[str, Any] | None) -> None:
        key = canonical_json([model, revision, sampling])
        self.generators[key] += 1
        self.generator_details.setdefault(key, {"model": model, "revision": revision, "sampling": sampling})

    def _responses(self, record: Record) -> None:
        b = record.behaviour
        texts = [r.response for r in b.rollouts or []] + [t for t in (b.response, b.trace, b.chosen, b.rejected) if t]
        self.responses += len(texts)
        self.response_chars += sum(len(t) for t in texts)
        if b.rollouts:
            self.rollouts_per_record[len(b.rollouts)] += 1

    def _pass_rate(self, record: Record) -> None:
        """The pass rate the `pass_rate` step attached (with its conditioning), else the one the
        verdicts on the rollouts give (the last verifier to judge a rollout decides)."""
        stats = record.meta.get("pass_rate")
        if isinstance(stats, dict) and "rate" in stats:
            rate, cond = float(stats["rate"]), stats.get("conditioning", {})
        else:
            final = rollout_verdicts(record)
            if not final:
                return
            rate = sum(v.passed for v in final.values()) / len(final)
            cond = conditioning(record, next(iter(final.values())), len(final))
        self.pass_rate_hist[min(int(rate * PASS_RATE_BINS), PASS_RATE_BINS - 1)] += 1
        self.pass_rate_min = rate if self.pass_rate_min is None else min(self.pass_rate_min, rate)
        self.pass_rate_max = rate if self.pass_rate_max is None else max(self.pass_rate_max, rate)
        self.conditionings[canonical_json(cond)] += 1


def _outcome_of(record: Record) -> tuple[str, str] | None:
    """(environment, outcome) of an episode the environment verifier judged: its last verdict on the
    whole episode decides (a re-verification replaces the one before); None when none judged it."""
    verdict = replay_verdict(record)
    if verdict is None:
        return None
    reference = record.task.reference
    env = reference.get("env") if isinstance(reference, dict) else None
    return str(env or "unknown"), str(verdict.evidence.get("outcome") or ("success" if verdict.passed else "failed"))


def scan(records: Iterable[Record]) -> DataFacts:
    facts = DataFacts()
    for record in records:
        facts.add(record)
    return facts
