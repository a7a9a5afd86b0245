"""`rollouts`: N samples per prompt from a generator, as one rollout_set record per prompt.

The rollout set's parent is the prompt record; its lineage event names the model, revision,
sampling settings, template and seed, and each rollout's meta names its sample index, seed,
served model, finish reason and the request (cache key) it came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field, model_validator

from reasonledger.generation.protocol import Failure, GenerationRequest, Outcome
from reasonledger.construct.generating import GeneratingStep
from reasonledger.construct.prompting import (
    GenerationParams, base_seed, generation_meta, generator_versions, render, sample_requests, sampling_record)
from reasonledger.engine.pipeline import batches
from reasonledger.engine.step import Step, StepContext, register_step
from reasonledger.records.model import Kind, LineageEvent, Record, Rollout
from reasonledger.records.targets import rollout_index


class GenerationFailed(RuntimeError):
    """Raised with `on_failure: stop`: requests failed after their retries; see failures.jsonl."""


class RolloutParams(GenerationParams):
    n: int = Field(4, gt=0, description="rollouts per prompt")
    request_n: int = Field(1, gt=0, description="samples asked per request (the `n` field); must divide n")

    @model_validator(mode="after")
    def _divides(self) -> "RolloutParams":
        if self.n % self.request_n:
            raise ValueError(f"request_n: {self.request_n} does not divide n={self.n}")
        return self


def failure_detail(failures: list[Failure]) -> str:
    first = failures[0]
    return f"{len(failures)} request(s) failed after retries; first: {first.kind}: {first.message}"


def stop_or_drop(step: Step, ctx: StepContext, record: Record, failures: list[Failure]) -> None:
    """What every generating step does with a record whose requests failed (see `on_failure`)."""
    detail = failure_detail(failures)
    if step.params.on_failure == "stop":
        raise GenerationFailed(f"{ctx.step}: {detail} (record {record.id}); every failure is in failures.jsonl "
                               "in the run directory; run the same build again to retry only what failed")
    ctx.drop(record, "generation_failed", detail)


@register_step
class Rollouts(GeneratingStep):
    name = "rollouts"
    Params = RolloutParams

    def versions(self) -> dict[str, str]:
        return generator_versions(self.params.generator)

    def _requests(self, record: Record, model: str) -> tuple[dict[str, Any], int, list[GenerationRequest]]:
        p = self.params
        prompt_body = render(record.task, p.generator.api, p.template, p.system)
        seed = base_seed(p, record.id, span=p.n)
        return prompt_body, seed, sample_requests(p, model, prompt_body, seed, p.n, p.request_n)

    def _rollout_set(self, record: Record, ctx: StepContext, model: str, prompt_body: dict[str, Any], seed: int,
                     requests: list[GenerationRequest], outcomes: list[Outcome]) -> Record:
        p = self.params
        rollouts = []
        for request, outcome in zip(requests, outcomes):
            assert not isinstance(outcome, Failure)
            for offset, choice in enumerate(outcome.choices):
                sample = request.sample + offset
                meta: dict[str, Any] = {"sample": sample, "model": outcome.model or model,
                                        "finish_reason": choice.finish_reason, "request": request.key,
                                        "request_usage": [outcome.prompt_tokens, outcome.completion_tokens]}
                if p.send_seed:
                    meta["seed"] = seed + request.sample
                if outcome.fingerprint:
                    meta["system_fingerprint"] = outcome.fingerprint
                if choice.reasoning:
                    meta["reasoning"] = choice.reasoning
                if choice.finish_reason == "length":
                    ctx.count("finish.length")
                rollouts.append(Rollout(response=choice.text, meta=meta))
        event = LineageEvent(stage=ctx.stage, step=self.name, params_hash=self.params_hash, model=model,
                             revision=p.generator.revision, seed=seed,
                             sampling=sampling_record(p, n=p.n, request_n=p.request_n))
        return Record(kind=Kind.rollout_set, task=record.task, behaviour={"rollouts": rollouts},
                      verdicts=[v for v in record.verdicts if rollout_index(v.target) is None],
                      lineage={"parents": [record.id], "events": [*record.lineage.events, event]},
                      meta=generation_meta(record, p.generator.api, prompt_body))

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        generator = self.client(ctx)
        model = generator.model
        for batch in batches(records, self.params.batch):
            plans = [(record, *self._requests(record, model)) for record in batch]
            requests = [r for plan in plans for r in plan[3]]
            owners = [plan[0].id for plan in plans for _ in plan[3]]
            outcomes = iter(generator.generate(requests, owners))
            generator.flush(ctx)
            for record, prompt_body, seed, mine in plans:
                got = [next(outcomes) for _ in mine]
                failures = [o for o in got if isinstance(o, Failure)]
                if failures:
                    stop_or_drop(self, ctx, record, failures)
                    continue
                ctx.count("rollouts", self.params.n)
                yield self._rollout_set(record, ctx, model, prompt_body, seed, mine, got)
