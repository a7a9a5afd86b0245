"""`process_labels`: step-level labels for rollouts by Monte-Carlo completion from each prefix.

Each chosen rollout is cut into steps (the rule is recorded). For a step i, k completions are
sampled from the prompt plus the response through step i and judged by the task's verifier:
c of k reach a correct answer. Math-Shepherd (`method: mc`) probes every prefix: the hard label is
1 when any completion is correct, the soft label is c/k. OmegaPRM (`method: binary_search`)
looks for the first step whose prefix can no longer reach a correct answer by binary search,
probing O(log L) prefixes instead of L: steps before it get hard label 1, it gets 0, later steps
stay unlabelled (as ProcessBench does). The last step's value is the rollout's own verdict.

Every step carries its label source: `mc_hard`/`mc_soft` for labels a probe measured or implied,
the rollout verdict's source (e.g. `programmatic`) for labels taken from the final answer. Each
probe is also a pair of verdicts on `step:i` (hard and soft) with the completion request keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, model_validator

from reasonledger.construct.derived import (
    derived_event, derived_lineage, inherited_generation, moved)
from reasonledger.generation.protocol import Failure, GenerationRequest
from reasonledger.construct.generating import GeneratingStep
from reasonledger.generation.generator import Generator
from reasonledger.construct.prompting import (
    GenerationParams, base_seed, generator_versions, render, sample_requests, sampling_record)
from reasonledger.construct.rollouts import failure_detail, stop_or_drop
from reasonledger.construct.segment import Segmentation, segment, step_texts
from reasonledger.construct.verify import open_pool
from reasonledger.engine.pipeline import batches
from reasonledger.engine.step import StepContext, register_step
from reasonledger.records.model import Kind, Record, Verdict, canonical_json
from reasonledger.records.targets import rollout_verdicts, step_target
from reasonledger.verifiers.pool import VerifierPool
from reasonledger.verifiers.registry import VerifierName

VERSION = "1.0.0"
# vLLM and SGLang continue an assistant message given these fields; other servers may ignore them.
PREFILL_FIELDS = {"continue_final_message": True, "add_generation_prompt": False}


class ProcessParams(GenerationParams):
    batch: int = Field(16, gt=0, description="rollout sets labelled together (each asks rollouts x steps x k requests)")
    k: int = Field(8, gt=0, description="completions per prefix")
    method: Literal["mc", "binary_search"] = "mc"
    label: Literal["hard", "soft"] = "hard"
    segmentation: Segmentation = Field(default_factory=Segmentation)
    rollouts: Literal["all", "wrong", "correct"] = "all"
    per_set: int | None = Field(None, gt=0, description="at most this many rollouts labelled per rollout set")
    max_steps: int = Field(40, gt=0, description="rollouts with more steps are skipped (counted), to bound cost")
    verifier: VerifierName | None = Field(None, description="judges completions (default: each task's own verifier)")
    prefill_fields: dict[str, Any] = Field(default_factory=lambda: dict(PREFILL_FIELDS))
    keep_input: bool = True

    @model_validator(mode="after")
    def _soft_needs_mc(self) -> "ProcessParams":
        if self.method == "binary_search" and self.label == "soft":
            raise ValueError("label: binary_search measures hard labels only; use method mc for soft labels")
        return self


@dataclass
class Job:
    """One rollout being labelled: its steps, its final verdict, and what the probes found."""

    record: Record
    index: int
    response: str
    spans: list[tuple[int, int]]
    final: Verdict
    probes: dict[int, tuple[int, int, list[str]]] = field(default_factory=dict)  # step -> (c, k, request keys)
    lo: int = 0
    hi: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def last(self) -> int:
        return len(self.spans) - 1

    def next_steps(self, method: str) -> list[int]:
        """The prefixes to probe in the next round (empty when done)."""
        if self.failures:
            return []
        if method == "mc":
            return [] if self.probes or self.last == 0 else list(range(self.last))
        if self.final.passed or self.lo >= self.hi:
            return []
        return [(self.lo + self.hi) // 2]

    def observe(self, step: int, correct: int, k: int, keys: list[str]) -> None:
        self.probes[step] = (correct, k, keys)
        if correct > 0:
            self.lo = step + 1
        else:
            self.hi = step


@register_step
class ProcessLabels(GeneratingStep):
    name = "process_labels"
    Params = ProcessParams

    def versions(self) -> dict[str, str]:
        return {self.name: VERSION, **generator_versions(self.params.generator)}

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.params.model_dump(mode="json")).encode()).hexdigest()[:16]

    def _jobs(self, record: Record, pool: VerifierPool, ctx: StepContext) -> list[Job]:
        p = self.params
        try:
            pool.for_record(record)
        except (KeyError, ValueError) as exc:
            ctx.count(f"no_verifier: {exc.args[0]}"[:120])
            return []
        verdicts = rollout_verdicts(record)
        jobs = []
        for j, rollout in enumerate(record.behaviour.rollouts or []):
            verdict = verdicts.get(j)
            if verdict is None:
                ctx.count("rollouts_unverified")
                continue
            if (p.rollouts == "wrong" and verdict.passed) or (p.rollouts == "correct" and not verdict.passed):
                continue
            spans = segment(rollout.response, p.segmentation)
            if not spans or len(spans) > p.max_steps:
                ctx.count("skipped_too_many_steps" if spans else "skipped_no_steps")
                continue
            jobs.append(Job(record, j, rollout.response, spans, verdict, hi=len(spans) - 1))
            if p.per_set and len([x for x in jobs if x.record is record]) >= p.per_set:
                break
        return jobs

    def _prompt_body(self, record: Record) -> dict[str, Any]:
        generation = record.meta.get("generation")
        if generation and generation.get("api") == self.params.generator.api:
            return generation["payload"]
        return render(record.task, self.params.generator.api, self.params.template, self.params.system)

    def _requests(self, job: Job, step: int, model: str) -> list[GenerationRequest]:
        p = self.params
        prefix = job.response[: job.spans[step][1]]
        body = self._prompt_body(job.record)
        if p.generator.api == "chat":
            body = {**body, "messages": [*body["messages"], {"role": "assistant", "content": prefix}], **p.prefill_fields}
        else:
            body = {"prompt": body["prompt"] + prefix}
        return sample_requests(p, model, body, base_seed(p, job.record.id, job.index, step, span=p.k), p.k)

    def _round(self, jobs: list[Job], generator: Generator, pool: VerifierPool, model: str, ctx: StepContext) -> bool:
        """Probe every job's next prefixes at once; False when no job had anything left to probe."""
        probes = [(job, step, self._requests(job, step, model)) for job in jobs for step in job.next_steps(self.params.method)]
        if not probes:
            return False
        requests = [r for _, _, rs in probes for r in rs]
        outcomes = iter(generator.generate(requests, [job.record.id for job, _, rs in probes for _ in rs]))
        generator.flush(ctx)
        checks, owners = [], []
        for job, step, rs in probes:
            got = [next(outcomes) for _ in rs]
            failed = [o for o in got if isinstance(o, Failure)]
            if failed:
                job.failures.extend(failed)
                continue
            prefix = job.response[: job.spans[step][1]]
            verifier = pool.for_record(job.record)
            for outcome in got:
                checks.append((verifier, job.record.task.reference, prefix + outcome.choices[0].text, step_target(step)))
            owners.append((job, step, [r.key for r in rs]))
        verdicts = iter(pool.check(checks))
        for job, step, keys in owners:
            correct = sum(next(verdicts).passed for _ in keys)
            ctx.count("probes")
            job.observe(step, correct, len(keys), keys)
        return True

    def _labels(self, job: Job) -> list[tuple[float | None, str | None]]:
        """(label, label source) per step."""
        p = self.params
        final = (1.0 if job.final.passed else 0.0, job.final.label_source)
        labels: list[tuple[float | None, str | None]] = []
        if p.method == "mc":
            for i in range(job.last):
                c, k, _ = job.probes[i]
                labels.append((float(c > 0), "mc_hard") if p.label == "hard" else (c / k, "mc_soft"))
            return [*labels, final]
        if job.final.passed:
            return [final] * len(job.spans)
        first_error = job.lo
        for i in range(len(job.spans)):
            if i < first_error:
                labels.append((1.0, "mc_hard"))
            elif i == first_error:
                labels.append((0.0, "mc_hard") if i in job.probes else final)
            else:
                labels.append((None, None))
        return labels

    def _step_trace(self, job: Job, ctx: StepContext, model: str, labelled: bool = True) -> Record:
        p = self.params
        labels = self._labels(job) if labelled else [(None, None)] * len(job.spans)
        texts = step_texts(job.response, job.spans)
        verdicts = [moved(job.final, "answer", rollout=job.index)]
        for step, (c, k, keys) in sorted(job.probes.items()):
            for source, score in (("mc_hard", float(c > 0)), ("mc_soft", c / k)):
                verdicts.append(Verdict(verifier=self.name, version=VERSION, config_hash=self.config_hash,
                                        target=step_target(step), score=score, passed=c > 0, label_source=source,
                                        evidence={"correct": c, "k": k, "requests": keys}))
        first_error = next((i for i, (label, _) in enumerate(labels) if label == 0.0), None) if labelled else None
        event = derived_event(self, ctx, model=model, revision=p.generator.revision, seed=p.seed,
                              sampling=sampling_record(p, k=p.k))
        return Record(
            kind=Kind.step_trace, task=job.record.task,
            behaviour={"steps": [{"text": t, "label": lab, "label_source": src} for t, (lab, src) in zip(texts, labels)],
                       "response": job.response},
            verdicts=verdicts,
            lineage=derived_lineage(job.record, event),
            meta={"rollout_set": job.record.id, "rollout_index": job.index,
                  "segmentation": {**p.segmentation.model_dump(), "spans": [list(s) for s in job.spans]},
                  "process_labels": {"method": p.method, "k": p.k, "label": p.label, "first_error": first_error,
                                     "probes": {str(i): [c, k] for i, (c, k, _) in sorted(job.probes.items())}},
                  **inherited_generation(job.record)},
        )

    pool: VerifierPool | None = None

    def setup(self, ctx: StepContext) -> None:
        super().setup(ctx)
        self.pool = open_pool(ctx, self.params.verifier, {})

    def close(self) -> None:
        super().close()
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        if self.pool is None or self.generator is None:
            self.setup(ctx)  # outside a build, as in a test
        pool, generator = self.pool, self.client(ctx)
        assert pool is not None
        model = generator.model
        for batch in batches(records, self.params.batch):
            jobs = {id(r): self._jobs(r, pool, ctx) for r in batch if r.kind == Kind.rollout_set}
            flat = [job for js in jobs.values() for job in js]
            while self._round(flat, generator, pool, model, ctx):
                pass
            for record in batch:
                if record.kind != Kind.rollout_set or self.params.keep_input:
                    yield record
                yield from self._finish(jobs.get(id(record), []), ctx, model)

    def _finish(self, jobs: list[Job], ctx: StepContext, model: str) -> Iterator[Record]:
        for job in jobs:
            if job.failures:
                if self.params.on_failure == "stop":
                    stop_or_drop(self, ctx, job.record, job.failures)
                ctx.drop(self._step_trace(job, ctx, model, labelled=False), "generation_failed", failure_detail(job.failures))
                continue
            ctx.count("step_traces")
            yield self._step_trace(job, ctx, model)
