"""The `swe_lite` step: code tasks with their gold solutions become SWE-lite repair tasks, in a recipe.

Its input is what the HumanEval(+) and MBPP importers give with `attach_solutions` (the dataset's
solution as the response). Each task's gold runs in the code sandbox; the first `per_task` of its
single-site mutants (in an order fixed by the step's `seed` and the task, whatever the sharding) run
too, and each mutant that fails a test the gold passes becomes one `swe_lite` task record
(verifiers/environments/swe/build.py), its parent the code task. Nothing goes silently: a task that
gives no instance is dropped with the reason of its last drop (`gold_fails`, `equivalent_mutant` when
every mutant drawn passes every test, `no_mutation_site`, `unparsable_gold`, `invalid_reference`,
`no_gold_solution`, `not_a_code_task` or `duplicate_task`), and every mutant and task the instance
builder left out is counted by reason in the step's stats (`left_out`).
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reasonledger.construct.derived import derived_event, derived_lineage
from reasonledger.engine.pipeline import batches
from reasonledger.engine.step import Step, StepContext, register_step
from reasonledger.formats.importers.code import SOURCES
from reasonledger.records.model import Record
from reasonledger.verifiers.code.verifier import CodeVerifier
from reasonledger.verifiers.environments.swe import instances as inst
from reasonledger.verifiers.environments.swe.build import instance_record
from reasonledger.verifiers.policy import check_step_config, verifier_config

# the importers' dataset names -> their format names, the short names instance ids and seeds use
SHORT_NAMES = {source["dataset"]: name for name, source in SOURCES.items()}


class SweLiteParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_task: int = Field(3, gt=0, description="mutants drawn and run per task")
    seed: int = Field(0, description="the mutants' draw order is fixed by (seed, dataset, row id), not by the shard: "
                                     "seed 0 gives the instances benchmarks/swe_lite_build.py builds")
    batch: int = Field(64, gt=0, description="tasks run through the sandbox at once")
    config: dict[str, Any] = Field(default_factory=dict, description="the code verifier's config (time_limit, ...), "
                                                                     "within the operator's limits")

    @model_validator(mode="after")
    def _within_operator_limits(self) -> "SweLiteParams":
        check_step_config("code", self.config)  # a recipe asking for more than the operator allows fails at load
        return self


def code_task(record: Record) -> inst.CodeTask | inst.Drop:
    """The record as a SWE-lite code task, or a Drop saying why it cannot be one (`not_a_code_task`,
    `no_gold_solution`, `unparsable_gold`)."""
    reference, gold, source = record.task.reference, record.behaviour.response, record.task.source
    dataset = SHORT_NAMES.get(source.dataset, source.dataset.rsplit("/", 1)[-1])
    row_id = str(source.row_id)
    if not isinstance(reference, dict) or not reference.get("fn_name"):
        return inst.Drop("not_a_code_task", dataset, row_id,
                         detail={"why": "no code-test reference with a function name (import HumanEval(+) or MBPP)"})
    if gold is None or not record.meta.get("solution_origin"):
        return inst.Drop("no_gold_solution", dataset, row_id,
                         detail={"why": "no gold solution to mutate (import with attach_solutions)"})
    return inst.task_from_row(dataset, {
        "row_id": row_id, "prompt": str(record.task.prompt), "fn_name": reference["fn_name"], "canonical_solution": gold,
        "source": source.model_dump(mode="json", exclude_none=True), "reference": reference})


def _said(drop: inst.Drop) -> str:
    return str(drop.detail["why"]) if "why" in drop.detail else json.dumps(drop.detail)


@register_step
class SweLiteTasks(Step):
    """HumanEval(+)/MBPP tasks with their gold solutions -> SWE-lite repair tasks (one per failing mutant)."""

    name = "swe_lite"
    Params = SweLiteParams
    verifier: CodeVerifier | None = None

    def setup(self, ctx: StepContext) -> None:
        self.verifier = CodeVerifier(**verifier_config("code", self.params.config))
        ctx.count_setup("code_verifiers")

    def close(self) -> None:
        if self.verifier is not None:
            self.verifier.close()
            self.verifier = None

    def versions(self) -> dict[str, str]:
        return {"code": CodeVerifier.version}

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        if self.verifier is None:
            self.setup(ctx)
        assert self.verifier is not None
        event = derived_event(self, ctx)
        for batch in batches(records, self.params.batch):
            tasks, owners = [], {}
            for record in batch:
                task = code_task(record)
                if isinstance(task, inst.Drop):
                    ctx.drop(record, task.reason, _said(task))
                elif (task.dataset, task.row_id) in owners:
                    ctx.drop(record, "duplicate_task", f"{task.dataset} row {task.row_id} is already in this batch")
                else:
                    tasks.append(task)
                    owners[(task.dataset, task.row_id)] = record
            kept: Counter[tuple[str, str]] = Counter()
            dropped: dict[tuple[str, str], list[inst.Drop]] = defaultdict(list)
            for item in inst.build(tasks, self.verifier, seed=self.params.seed, per_task=self.params.per_task,
                                   batch=self.params.batch):
                key = (item.dataset, item.row_id)
                if isinstance(item, inst.Instance):
                    kept[key] += 1
                    ctx.count("instances")
                    yield instance_record(item, self.params.seed, derived_lineage(owners[key], event))
                else:
                    dropped[key].append(item)
                    ctx.tally("left_out", item.reason)
            for key, owner in owners.items():
                if not kept[key]:
                    last = dropped[key][-1]  # the builder yields at least one item for every task
                    reasons = Counter(d.reason for d in dropped[key])
                    ctx.drop(owner, last.reason, json.dumps({"drops": dict(reasons), **last.detail}))
