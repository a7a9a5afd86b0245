"""Verification steps: run each record's verifier on its behaviour (`verify`) or on its own
reference answer (`gold_check`), attaching one verdict per check, through the verdict cache.

A record holds one verdict per (target, verifier, version, config hash): checking again replaces
that verdict, so re-verifying a dataset never piles up copies of the same check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reasonledger.engine.pipeline import batches
from reasonledger.engine.step import Step, StepContext, register_step
from reasonledger.records.model import Record, Verdict
from reasonledger.records.targets import gold_candidate, judged_without_answer, targets
from reasonledger.verifiers.base import Verifier
from reasonledger.verifiers.environments.verifier import EPISODE_KINDS
from reasonledger.verifiers.judgment.consent import JudgmentNotAllowed
from reasonledger.verifiers.policy import check_step_config
from reasonledger.verifiers.pool import VerifierPool
from reasonledger.verifiers.registry import VerifierName


def verdict_slot(verdict: Verdict) -> tuple[str, str, str, str]:
    """What identifies a check: the same slot checked again is the same check, redone."""
    return (verdict.target, verdict.verifier, verdict.version, verdict.config_hash)


def merge_verdicts(existing: list[Verdict], new: list[Verdict]) -> list[Verdict]:
    """`existing` with each new verdict in place of the one in its slot (else appended); other
    verifiers', other versions' and other configs' verdicts are kept as they were."""
    merged = {verdict_slot(v): v for v in existing}
    for verdict in new:
        merged[verdict_slot(verdict)] = verdict
    return list(merged.values())


def open_pool(ctx: StepContext, name: str | None, config: dict[str, Any], cache: bool = True) -> VerifierPool:
    """A step's verifier pool for one worker process, with the run's verdict cache; counted in the
    step's stats as `verifier_pools` (one per worker process that ran the step)."""
    ctx.count_setup("verifier_pools")
    return VerifierPool(name, config, ctx.run.verdict_cache if (ctx.run and cache) else None)


class VerifyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verifier: VerifierName | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    batch: int = Field(256, gt=0)
    cache: bool = True

    @model_validator(mode="after")
    def _within_operator_limits(self) -> "VerifyParams":
        check_step_config(self.verifier, self.config)  # a recipe or --config asking for more fails at load
        return self


class _VerifyingStep(Step):
    Params = VerifyParams
    pool: VerifierPool | None = None

    def setup(self, ctx: StepContext) -> None:
        self.pool = open_pool(ctx, self.params.verifier, self.params.config, self.params.cache)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def _pool(self, ctx: StepContext) -> VerifierPool:
        """The worker's pool (set up here when the step runs outside a build, as in a test)."""
        if self.pool is None:
            self.setup(ctx)
        assert self.pool is not None
        return self.pool

    def versions(self) -> dict[str, str]:
        if self.params.verifier:
            from reasonledger.verifiers import verifier_class

            return {self.params.verifier: verifier_class(self.params.verifier).version}
        return self.pool.versions() if self.pool else {}


@register_step
class Verify(_VerifyingStep):
    """Attach a verdict for every checkable part of each record (answer, each rollout, chosen/rejected),
    with the verdicts on its parts where the verifier gives them (a rubric's items); an agent episode is
    judged whole by its verifier's `verify_record` (the environment's replay)."""

    name = "verify"

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        pool = self._pool(ctx)
        for batch in batches(records, self.params.batch):
            jobs, owners = [], []
            verdicts: list[list[Verdict]] = [[] for _ in batch]
            refused: set[int] = set()
            for index, record in enumerate(batch):
                try:
                    verifier = pool.for_record(record)
                except JudgmentNotAllowed as exc:  # a model judge the operator has not allowed: quarantined, said why
                    ctx.drop(record, "judge_not_allowed", str(exc))
                    refused.add(index)
                    continue
                except (KeyError, ValueError) as exc:
                    ctx.count("no_verifier")
                    ctx.count(f"no_verifier: {exc.args[0]}"[:120])
                    continue
                if record.kind in EPISODE_KINDS or verifier.family == "environmental":
                    verdicts[index] = episode_verdicts(verifier, record, ctx)
                    continue
                for target, response in targets(record):
                    jobs.append((verifier, record.task.reference, response, target))
                    owners.append(index)
            for owner, checked in zip(owners, pool.check_parts(jobs)):
                *parts, whole = checked
                verdicts[owner] += checked
                ctx.count("passed" if whole.passed else "failed")
                for part in parts:
                    ctx.count("part_passed" if part.passed else "part_failed")
            for index, (record, new) in enumerate(zip(batch, verdicts)):
                if index in refused:
                    continue
                if not new:
                    ctx.count("nothing_to_verify")
                yield record.model_copy(update={"verdicts": merge_verdicts(record.verdicts, new)})


def episode_verdicts(verifier: Verifier, record: Record, ctx: StepContext) -> list[Verdict]:
    """An agent episode's verdicts, judged whole (one per component, per failed call, and the episode's
    outcome); a record that is not an episode is left to other verifiers by an environmental one."""
    if record.kind not in EPISODE_KINDS:
        ctx.count("not_an_episode")
        return []
    new = verifier.verify_record(record)
    for verdict in new:
        ctx.count("passed" if verdict.passed else "failed")
        if verdict.target == "episode" and "outcome" in verdict.evidence:
            ctx.tally("outcome", str(verdict.evidence["outcome"]))
            if verdict.evidence.get("first_divergence") is not None:
                ctx.count("diverged")
    return new


@register_step
class GoldCheck(_VerifyingStep):
    """The source's own answer must pass the task's verifier; otherwise the task cannot reward anyone
    correctly, and it is dropped with reason `gold_fails_verifier`.

    Every kept record says what was checked in `meta.gold`: `reference`, `example_answer` or
    `canonical_solution` (see `gold_candidate`), or `unchecked` for a task whose verifier needs no
    single answer (code tests, a scorer over premises) and whose source gives nothing to run: such a
    task is kept, not dropped, and counted (`unchecked`). A task with no reference at all cannot be
    judged by anything and is dropped with reason `no_reference`."""

    name = "gold_check"

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        pool = self._pool(ctx)
        for batch in batches(records, self.params.batch):
            jobs, plan = [], []
            for record in batch:
                candidate = gold_candidate(record)
                if candidate is None:
                    if judged_without_answer(record.task.reference):
                        ctx.count("unchecked")
                        plan.append((_labelled(record, "unchecked"), None))
                    else:
                        ctx.drop(record, "no_reference", "the task has no reference answer, tests or metadata to check")
                    continue
                try:
                    verifier = pool.for_record(record)
                except (KeyError, ValueError) as exc:
                    ctx.drop(record, "no_verifier", str(exc.args[0]))
                    continue
                plan.append((_labelled(record, candidate[0]), len(jobs)))
                jobs.append((verifier, record.task.reference, candidate[1], "reference"))
            verdicts = pool.check(jobs)
            for record, job in plan:
                if job is None:
                    yield record
                    continue
                verdict = verdicts[job]
                verdict = verdict.model_copy(update={"evidence": {**verdict.evidence, "gold": record.meta["gold"]}})
                record = record.model_copy(update={"verdicts": merge_verdicts(record.verdicts, [verdict])})
                if verdict.passed:
                    ctx.tally("checked", str(record.meta["gold"]))
                    yield record
                else:
                    ctx.drop(record, "gold_fails_verifier", failure_detail(verdict))


def failure_detail(verdict: Verdict) -> str | None:
    """Why a check failed, in one line: the verdict's reason, else its first failing test."""
    evidence = verdict.evidence
    if evidence.get("reason"):
        return str(evidence["reason"])
    first = evidence.get("first_failure")
    if not isinstance(first, dict):
        return None
    error = first.get("error")
    message = error.get("msg") if isinstance(error, dict) else error
    return f"{first.get('name')}: {first.get('status')}" + (f" ({message})" if message else "")


def _labelled(record: Record, gold: str) -> Record:
    return record.model_copy(update={"meta": {**record.meta, "gold": gold}})
