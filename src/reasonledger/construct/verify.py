"""Verification steps: run each record's verifier on its behaviour (`verify`) or on its own
reference answer (`gold_check`), attaching one verdict per check, through the verdict cache.

A record holds one verdict per (target, verifier, version, config hash): checking again replaces
that verdict, so re-verifying a dataset never piles up copies of the same check."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reasonledger.engine.cache import VerdictCache, verdict_key
from reasonledger.engine.pipeline import batches
from reasonledger.engine.step import Step, StepContext, register_step
from reasonledger.records.model import Kind, Record, Verdict, json_digest
from reasonledger.verifiers import Verifier, get_verifier
from reasonledger.verifiers.registry import VerifierName
from reasonledger.verifiers.policy import check_operator_limits, check_step_config, verifier_config


def targets(record: Record) -> list[tuple[str, str]]:
    """(target, response text) for every checkable part of a record's behaviour."""
    b = record.behaviour
    if record.kind == Kind.rollout_set:
        return [(f"rollout:{j}", r.response) for j, r in enumerate(b.rollouts or [])]
    if record.kind == Kind.preference_pair:
        return [("chosen", b.chosen or ""), ("rejected", b.rejected or "")]
    text = b.response if b.response is not None else b.answer if b.answer is not None else b.trace
    return [] if text is None else [("answer", text)]


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


def gold_answer(reference: Any) -> str | None:
    """The reference's own answer as a response would state it (None when it has none)."""
    if isinstance(reference, dict):
        reference = reference.get("answer")
    if reference is None:
        return None
    return reference if isinstance(reference, str) else str(reference)


class VerifierPool:
    """Verifier instances by (name, config), and the batched, cached way to run them.

    An instance's config is the operator's limits (user config file) with what the row and the step
    ask for on top, clamped by `verifiers.policy` so that data only ever tightens a limit. Rows with
    many distinct configs cannot start a pool each: at most `MAX_OPEN` instances that have run keep
    their sandboxes or worker processes (the least recently run is closed), and at most `MAX_KEPT`
    instances are kept at all, so rows that cycle through a few configs reuse theirs."""

    MAX_OPEN = 8
    MAX_KEPT = 256

    def __init__(self, name: str | None, config: dict[str, Any], cache_path: Path | None) -> None:
        check_operator_limits()  # a broken operator config stops here, not as an error on every row
        self.name, self.config = name, config
        self._instances: OrderedDict[str, Verifier] = OrderedDict()
        self._open: OrderedDict[int, Verifier] = OrderedDict()  # those that ran: they may hold processes
        self._versions: dict[str, str] = {}
        self.cache = VerdictCache(cache_path) if cache_path else None

    def for_record(self, record: Record) -> Verifier:
        spec = record.task.verifier
        if self.name is None and spec is None:
            raise ValueError("record names no verifier and none was given")
        name = self.name or spec.name
        return self.get(name, self.config if self.name else {**(spec.config if spec else {}), **self.config})

    def get(self, name: str, asked: dict[str, Any]) -> Verifier:
        """The kept instance of `name` for the config `asked` (clamped by the operator's limits), made
        if it is new; the least recently used beyond `MAX_KEPT` is closed."""
        config = verifier_config(name, asked)
        key = f"{name}:{json_digest(config)}"
        verifier = self._instances.pop(key, None)
        if verifier is None:
            try:
                verifier = get_verifier(name, **config)
            except TypeError as exc:  # an option the verifier does not take: this row's problem only
                raise ValueError(f"{name} verifier config: {exc}") from None
            self._versions[verifier.id] = verifier.version
        self._instances[key] = verifier
        if len(self._instances) > self.MAX_KEPT:
            _, old = self._instances.popitem(last=False)
            self._open.pop(id(old), None)
            old.close()  # a batch still holding it may open it again: `release` then counts it
        return verifier

    def release(self, verifier: Verifier) -> None:
        """After `verifier` ran its share of a batch: keep at most MAX_OPEN verifiers that have run open."""
        self._open.pop(id(verifier), None)
        self._open[id(verifier)] = verifier
        while len(self._open) > self.MAX_OPEN:
            _, old = self._open.popitem(last=False)
            old.close()

    def check(self, jobs: list[tuple[Verifier, Any, str, str]]) -> list[Verdict]:
        """Verdicts for (verifier, reference, response, target) jobs, in order; each verifier's
        misses go through its `verify_many` in one batch so parallel verifiers stay busy."""
        results: list[Verdict | None] = [None] * len(jobs)
        keys = [verdict_key(ref, resp, v.id, v.version, v.config_hash) for v, ref, resp, _ in jobs]
        misses: dict[int, list[int]] = {}
        for i, (verifier, _, _, _) in enumerate(jobs):
            cached = self.cache.get(keys[i]) if self.cache else None
            if cached is None:
                misses.setdefault(id(verifier), []).append(i)
            else:
                results[i] = cached
        fresh = []
        for indices in misses.values():
            verifier = jobs[indices[0]][0]
            for i, verdict in zip(indices, verifier.verify_many([(jobs[i][1], jobs[i][2]) for i in indices])):
                results[i] = verdict
                fresh.append((keys[i], verdict))
            self.release(verifier)
        if self.cache and fresh:
            self.cache.put_many(fresh)
        return [v.model_copy(update={"target": jobs[i][3]}) for i, v in enumerate(results) if v is not None]

    def versions(self) -> dict[str, str]:
        return dict(self._versions)

    def close(self) -> None:
        """Close every verifier instance (their sandboxes and worker processes) and the verdict cache."""
        for verifier in self._instances.values():
            verifier.close()
        self._instances.clear()
        self._open.clear()
        if self.cache is not None:
            self.cache.close()
            self.cache = None


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
    """Attach a verdict for every checkable part of each record (answer, each rollout, chosen/rejected)."""

    name = "verify"

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        pool = self._pool(ctx)
        for batch in batches(records, self.params.batch):
            jobs, owners = [], []
            for index, record in enumerate(batch):
                try:
                    verifier = pool.for_record(record)
                except (KeyError, ValueError) as exc:
                    ctx.count("no_verifier")
                    ctx.count(f"no_verifier: {exc.args[0]}"[:120])
                    continue
                for target, response in targets(record):
                    jobs.append((verifier, record.task.reference, response, target))
                    owners.append(index)
            verdicts: list[list[Verdict]] = [[] for _ in batch]
            for owner, verdict in zip(owners, pool.check(jobs)):
                verdicts[owner].append(verdict)
                ctx.count("passed" if verdict.passed else "failed")
            for record, new in zip(batch, verdicts):
                if not new:
                    ctx.count("nothing_to_verify")
                yield record.model_copy(update={"verdicts": merge_verdicts(record.verdicts, new)})


def gold_candidate(record: Record) -> tuple[str, str] | None:
    """(where it came from, text): the answer the source itself gives as right, if any. In order:
    the reference's own answer; a reasoning-gym entry's `example_answer` (families such as
    propositional_logic have many right answers, so no single gold, but the generator gives one);
    the solution the dataset ships, attached as the response (`meta.solution_origin`, MBPP and
    HumanEval imported with `attach_solutions`), which the verifier runs against the tests."""
    reference = record.task.reference
    answer = gold_answer(reference)
    if answer is not None:
        return "reference", answer
    if isinstance(reference, dict) and isinstance(reference.get("metadata"), dict):
        example = reference["metadata"].get("example_answer")
        if example is not None:
            return "example_answer", example if isinstance(example, str) else str(example)
    if record.meta.get("solution_origin") and record.behaviour.response is not None:
        return "canonical_solution", record.behaviour.response
    return None


def judged_without_answer(reference: Any) -> bool:
    """A reference the verifier judges from without a single gold answer: a mapping holding more than
    an answer (tests to run, premises to check a conclusion against)."""
    return isinstance(reference, dict) and any(v not in (None, "", [], {}) for k, v in reference.items() if k != "answer")


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
                    ctx.count(f"checked.{record.meta['gold']}")
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
