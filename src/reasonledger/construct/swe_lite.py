"""The `swe_lite` step: code tasks with their gold solutions become SWE-lite repair tasks, in a recipe.

Its input is what the HumanEval(+) and MBPP importers give with `attach_solutions` (the dataset's
solution as the response). Each task's gold runs in the code sandbox; the first `per_task` of its
single-site mutants (in an order fixed by the step's `seed` and the task, whatever the sharding) run too, and each mutant that fails
a test the gold passes becomes one `swe_lite` task record (verifiers/environments/swe/build.py), its
parent the code task. Nothing goes silently: a task that gives no instance is dropped with the reason
of its last drop (`gold_fails`, `equivalent_mutant` when every mutant drawn passes every test,
`no_mutation_site`, `unparsable_gold`, `invalid_reference`, or `no_gold_solution`), and every task or
mutant left out is counted by reason in the step's stats (`left_out`).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reasonledger.construct.derived import derived_event, derived_lineage
from reasonledger.engine.pipeline import batches
from reasonledger.engine.step import Step, StepContext, register_step
from reasonledger.records.model import Record
from reasonledger.verifiers.code.verifier import CodeVerifier
from reasonledger.verifiers.environments.swe import instances as inst
from reasonledger.verifiers.environments.swe.build import instance_record
from reasonledger.verifiers.environments.swe.mutate import normalise

# the importers' dataset names -> the short names instance ids and seeds use
SHORT_NAMES = {"evalplus/humanevalplus": "humanevalplus", "openai/human-eval": "humaneval",
               "google-research/mbpp/full": "mbpp", "google-research/mbpp/sanitized": "mbpp-sanitized"}


class SweLiteParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    per_task: int = Field(3, gt=0, description="mutants drawn and run per task")
    seed: int = Field(0, description="the mutants' draw order is fixed by (seed, dataset, row id), not by the shard: "
                                     "seed 0 gives the instances benchmarks/swe_lite_build.py builds")
    batch: int = Field(64, gt=0, description="tasks run through the sandbox at once")
    config: dict[str, Any] = Field(default_factory=dict, description="the code verifier's config (time_limit, slots, ...)")


def code_task(record: Record) -> inst.CodeTask | inst.Drop | str:
    """The record as a SWE-lite code task, a Drop when its gold cannot be parsed, or why it is no code task."""
    reference = record.task.reference
    gold = record.behaviour.response
    if not isinstance(reference, dict) or not reference.get("fn_name"):
        return "no code-test reference with a function name (import HumanEval(+) or MBPP)"
    if gold is None or not record.meta.get("solution_origin"):
        return "no gold solution to mutate (import with attach_solutions)"
    source = record.task.source
    dataset = SHORT_NAMES.get(source.dataset, source.dataset.rsplit("/", 1)[-1])
    try:
        program = normalise(gold)
    except (SyntaxError, ValueError, RecursionError) as exc:
        return inst.Drop("unparsable_gold", dataset, str(source.row_id), detail={"error": f"{type(exc).__name__}: {exc}"})
    return inst.CodeTask(dataset, str(source.row_id), str(record.task.prompt), reference["fn_name"],
                         source.model_dump(mode="json", exclude_none=True), program, inst.bounded(reference))


@register_step
class SweLiteTasks(Step):
    """HumanEval(+)/MBPP tasks with their gold solutions -> SWE-lite repair tasks (one per failing mutant)."""

    name = "swe_lite"
    Params = SweLiteParams
    verifier: CodeVerifier | None = None

    def setup(self, ctx: StepContext) -> None:
        self.verifier = CodeVerifier(**self.params.config)
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
                if isinstance(task, str):
                    ctx.drop(record, "no_gold_solution" if "gold" in task else "not_a_code_task", task)
                elif isinstance(task, inst.Drop):
                    ctx.drop(record, task.reason, json.dumps(task.detail))
                else:
                    tasks.append(task)
                    owners[(task.dataset, task.row_id)] = record
            kept: Counter[tuple[str, str]] = Counter()
            dropped: dict[tuple[str, str], list[inst.Drop]] = defaultdict(list)
            for item in inst.build(tasks, self.verifier, seed=self.params.seed, per_task=self.params.per_task):
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
                    last = dropped[key][-1] if dropped[key] else inst.Drop("no_mutation_site", *key)
                    reasons = Counter(d.reason for d in dropped[key])
                    ctx.drop(owner, last.reason, json.dumps({"drops": dict(reasons), **last.detail}))
