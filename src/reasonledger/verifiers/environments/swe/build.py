"""The SWE-lite instance set as records: one task record per kept bug, and the drops with their reasons.

Each record is a `prompt_answer` task with no behaviour yet (an agent's episode on it comes later):
its prompt states the problem and shows the buggy file, its reference is an `EnvironmentSpec` for
`swe_lite` (the instance as the task payload, the gold repair as the gold action), its verifier is
`environment`. The reward basis is left empty, which the environment verifier reads as "every
component decides": both fail_to_pass and pass_to_pass must pass (the spec's vocabulary of reward
components has no names for the two test sets). Drops go to their own JSONL file, one line per dropped
task or mutant with its reason, and every count is returned.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reasonledger.records.agent import EnvironmentSpec, GoldAction, Limits
from reasonledger.records.jsonl import write_jsonl
from reasonledger.records.model import Kind, Record
from reasonledger.verifiers.code.verifier import CodeVerifier
from reasonledger.verifiers.environments.swe import instances as inst
from reasonledger.verifiers.environments.swe.swe_lite import TOOL_SCHEMAS, SweLite

REVISIONS = {"humanevalplus": "v0.1.10", "mbpp": None}
MAX_STEPS = 20


def prompt(instance: inst.Instance) -> str:
    """What the agent is told: the problem, the buggy file, and the one action that counts."""
    return (f"The file {instance.file} below was written for this task, but it has a bug: some of its tests fail.\n\n"
            f"Task:\n{instance.problem.strip()}\n\n{instance.file}:\n```python\n{instance.program}\n```\n\n"
            f"Repair the file with the write_file tool (the whole new content of {instance.file}); "
            "read_file shows it and run_tests runs its tests.")


def instance_record(instance: inst.Instance, seed: int, lineage: dict[str, Any] | None = None) -> Record:
    env = SweLite()
    env.reset(instance.as_task())
    revision = instance.source.get("revision") or REVISIONS.get(instance.dataset)
    spec = EnvironmentSpec(
        env=SweLite.id, version=SweLite.version, revision=revision, initial_state_hash=env.state_hash(),
        task_id=instance.instance_id, task=instance.as_task(),
        gold_actions=[GoldAction(name="write_file", arguments={"path": instance.file, "content": instance.gold})],
        reward_basis=["fail_to_pass", "pass_to_pass"], limits=Limits(max_steps=MAX_STEPS), tools=TOOL_SCHEMAS)
    source = {**instance.source, "revision": revision, "row_id": instance.instance_id}
    return Record(kind=Kind.prompt_answer, task={
        "prompt": prompt(instance), "reference": spec.as_reference(), "domain": "code",
        "source": source, "verifier": {"name": "environment"},
    }, meta={"swe_lite": {"origin_row": instance.row_id, "mutation": instance.mutation, "seed": seed}},
        lineage=lineage or {})


def drop_row(drop: inst.Drop) -> dict[str, Any]:
    return {"drop": drop.reason, **{k: v for k, v in asdict(drop).items() if k != "reason"}}


def code_tasks(humanevalplus: str | Path | None, mbpp: str | Path | None, verifier: CodeVerifier,
               limit: int | None = None) -> Iterator[inst.CodeTask | inst.Drop]:
    """The tasks of each dataset given (the first `limit` of each, when given)."""
    if humanevalplus is not None:
        yield from itertools.islice(inst.humanevalplus_tasks(humanevalplus, verifier), limit)
    if mbpp is not None:
        yield from itertools.islice(inst.mbpp_tasks(mbpp), limit)


def build_swe_lite(tasks: Iterable[inst.CodeTask | inst.Drop], verifier: CodeVerifier, out: str | Path,
                   drops_out: str | Path, seed: int = 0, per_task: int = 3) -> dict[str, Any]:
    """Build the instances, write them as records to `out` and the drops to `drops_out` (JSONL, .gz
    allowed); returns the counts: `valid`, each drop reason, per dataset, and the wall seconds."""
    t0 = time.monotonic()
    drops: list[dict[str, Any]] = []
    per_dataset: Counter = Counter()

    def records() -> Iterator[Record]:  # streamed to the file: HumanEval+ references are large
        for item in inst.build(tasks, verifier, seed=seed, per_task=per_task):
            if isinstance(item, inst.Instance):
                per_dataset[f"{item.dataset}:valid"] += 1
                yield instance_record(item, seed)
            else:
                drops.append(drop_row(item))
                per_dataset[f"{item.dataset}:{item.reason}"] += 1

    valid = write_jsonl(records(), out)
    write_jsonl(drops, drops_out)
    counts = Counter({"valid": valid})
    counts.update(d["drop"] for d in drops)
    return {"counts": {k: counts.get(k, 0) for k in ("valid", *inst.DROP_REASONS)},
            "per_dataset": dict(sorted(per_dataset.items())), "seconds": round(time.monotonic() - t0, 1)}
