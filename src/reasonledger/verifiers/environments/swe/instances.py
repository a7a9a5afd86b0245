"""SWE-lite instances: a gold program from HumanEval+ or MBPP with one single-site bug, and its test sets.

For every task the gold (normalised through `ast.unparse`) runs in the sandbox first; a task whose
gold does not pass every test is dropped (`gold_fails`). Its mutants (mutate.py) are drawn in an
order fixed by (seed, dataset, row id) and the first `per_task` are run; a mutant is kept when it
fails at least one test the gold passes, and dropped as `equivalent_mutant` when it passes them all.
Every drop is yielded as a `Drop` with its reason: nothing is lost without a count.

A HumanEval+ case whose arguments and expected value take more than 16 KiB as JSON is left out (and
counted in the reference) so that every instance stays small enough to carry its own tests.

A kept instance's fail-to-pass tests are those the bug does not pass (failed, or not reached because
its run died or was cut after repeated timeouts), its pass-to-pass tests those it still passes. A
mutant's tests run with a time limit of five times the gold's slowest test plus 0.5 s (at least 1 s,
at most the verifier's): a bug that loops costs seconds, not the verifier's full limit per test.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reasonledger.verifiers.code.datasets import humaneval_references, mbpp_references
from reasonledger.verifiers.code.formats import ReferenceError_
from reasonledger.verifiers.code.verifier import CodeVerifier
from reasonledger.verifiers.environments.swe import testrun
from reasonledger.verifiers.environments.swe.mutate import Mutant, mutants, normalise

FILE = "solution.py"
DROP_REASONS = ("unparsable_gold", "invalid_reference", "gold_fails", "no_mutation_site", "equivalent_mutant")
MAX_CASE_CHARS = 16_384  # a call case larger than this as JSON is left out of the instance's tests
BUG_TIME_FLOOR = 1.0  # seconds per test for a mutant: a looping bug costs this, not the verifier's full limit


@dataclass(frozen=True)
class CodeTask:
    """One dataset row: the normalised gold program and its code-test reference."""

    dataset: str
    row_id: str
    prompt: str
    fn_name: str
    source: dict[str, Any]
    gold: str
    reference: dict[str, Any]


@dataclass(frozen=True)
class Drop:
    """A task or mutant left out, and why (one of DROP_REASONS)."""

    reason: str
    dataset: str
    row_id: str
    mutant_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Instance:
    """One bug to repair: the buggy file, the tests it fails (fail_to_pass) and still passes (pass_to_pass)."""

    instance_id: str
    dataset: str
    row_id: str
    source: dict[str, Any]
    problem: str  # the task as the dataset states it
    file: str
    program: str  # the buggy file
    gold: str  # the repaired file (the dataset's solution, normalised)
    reference: dict[str, Any]
    fail_to_pass: list[str]
    pass_to_pass: list[str]
    mutation: dict[str, Any]
    bug_statuses: dict[str, str]  # fail-to-pass test -> what the bug did (wrong_answer, timeout, not_reached, ...; testrun.statuses)

    def as_task(self) -> dict[str, Any]:
        """The environment's task payload (what `SweLite.reset` takes); the gold stays out of it (an
        episode's spec keeps it as its gold action)."""
        task = asdict(self)
        del task["gold"]
        return task


def humanevalplus_tasks(path: str | Path, verifier: CodeVerifier) -> Iterator[CodeTask | Drop]:
    """HumanEval+ rows; expected outputs come from the canonical solution, run in the sandbox."""
    for row in humaneval_references(path, verifier=verifier):
        yield task_from_row("humanevalplus", row)


def mbpp_tasks(path: str | Path) -> Iterator[CodeTask | Drop]:
    """MBPP rows (the full mbpp.jsonl or sanitized-mbpp.json)."""
    for row in mbpp_references(path):
        yield task_from_row("mbpp", row)


def task_from_row(dataset: str, row: dict[str, Any]) -> CodeTask | Drop:
    """A code reader's row (row_id, prompt, fn_name, source, canonical_solution, reference) as a task,
    or an `unparsable_gold` Drop."""
    try:
        gold = normalise(row["canonical_solution"])
    except (SyntaxError, ValueError, RecursionError) as exc:
        return Drop("unparsable_gold", dataset, str(row["row_id"]), detail={"error": f"{type(exc).__name__}: {exc}"})
    return CodeTask(dataset, str(row["row_id"]), row["prompt"], row["fn_name"], row["source"], gold,
                    bounded(row["reference"]))


def bounded(reference: dict[str, Any]) -> dict[str, Any]:
    """A call-format reference without the cases whose arguments and expected value take more than
    MAX_CASE_CHARS as JSON (HumanEval+ task 15 expects 147 MB of output over 137 cases; every instance
    carries its reference), their number kept as `cases_left_out`. Other formats are unchanged."""
    if reference.get("format") != "call":
        return reference
    keep = [c for c in reference["cases"] if len(json.dumps(c["args"])) + len(json.dumps(c["expected"])) <= MAX_CASE_CHARS]
    left_out = len(reference["cases"]) - len(keep)
    return {**reference, "cases": keep, "cases_left_out": left_out} if left_out else reference


def draw(task: CodeTask, seed: int, per_task: int) -> list[Mutant]:
    """The first `per_task` of the task's mutants in an order fixed by (seed, dataset, row id)."""
    pool = list(mutants(task.gold))
    random.Random(f"{seed}:{task.dataset}:{task.row_id}").shuffle(pool)
    return pool[:per_task]


def build(tasks: Iterable[CodeTask | Drop], verifier: CodeVerifier, seed: int = 0, per_task: int = 3,
          batch: int = 64) -> Iterator[Instance | Drop]:
    """Instances and drops, task by task in input order (tasks are run `batch` at a time through every slot)."""
    chunk: list[CodeTask | Drop] = []
    for task in tasks:
        chunk.append(task)
        if len(chunk) >= batch:
            yield from _build_chunk(chunk, verifier, seed, per_task)
            chunk = []
    if chunk:
        yield from _build_chunk(chunk, verifier, seed, per_task)


def _build_chunk(chunk: list[CodeTask | Drop], verifier: CodeVerifier, seed: int, per_task: int) -> Iterator[Instance | Drop]:
    tasks = [t for t in chunk if isinstance(t, CodeTask)]
    golds = dict(zip(map(id, tasks), testrun.run_many(verifier, [(t.reference, t.gold, None) for t in tasks])))
    plans: dict[int, list[Mutant]] = {}
    jobs: list[tuple[Any, str, float | None]] = []
    for t in tasks:
        results = golds[id(t)]
        if _gold_passes(results):
            plans[id(t)] = draw(t, seed, per_task)
            limit = _bug_time(results, verifier.limits.time)
            jobs += [(t.reference, m.program, limit) for m in plans[id(t)]]
    bug_runs = iter(testrun.run_many(verifier, jobs))
    for item in chunk:
        if isinstance(item, Drop):
            yield item
            continue
        results = golds[id(item)]
        if isinstance(results, ReferenceError_):
            yield Drop("invalid_reference", item.dataset, item.row_id, detail={"error": str(results)})
            continue
        if not _gold_passes(results):
            yield Drop("gold_fails", item.dataset, item.row_id, detail={
                "first_failure": next((_brief(r) for r in results if r.get("status") != testrun.PASS), None),
                "n_tests": len(results)})
            continue
        if not plans[id(item)]:
            yield Drop("no_mutation_site", item.dataset, item.row_id)
            continue
        gold = testrun.outcomes(results)
        for mutant in plans[id(item)]:
            yield _judge(item, mutant, gold, next(bug_runs))


def _judge(task: CodeTask, mutant: Mutant, gold: dict[str, str], results: list[dict] | ReferenceError_) -> Instance | Drop:
    runs = results if isinstance(results, list) else []
    bug = testrun.statuses(list(gold), runs)
    f2p, p2p = testrun.split(gold, bug)
    mutation = {"operator": mutant.operator, "site": mutant.site, "variant": mutant.variant, "line": mutant.line,
                "description": mutant.description}
    if not f2p:
        return Drop("equivalent_mutant", task.dataset, task.row_id, mutant.mutant_id,
                    detail={**mutation, "n_tests": len(gold)})
    cut = testrun.run_level_failure(runs)
    if cut:
        mutation["run_failure"] = cut
    return Instance(f"{task.dataset}/{task.row_id}/{mutant.mutant_id}", task.dataset, task.row_id, task.source,
                    task.prompt, FILE, mutant.program, task.gold, task.reference, f2p, p2p, mutation,
                    {name: bug[name] for name in f2p})


def _gold_passes(results: list[dict] | ReferenceError_) -> bool:
    return isinstance(results, list) and bool(results) and all(r.get("status") == testrun.PASS for r in results)


def _bug_time(gold_results: list[dict], limit: float) -> float:
    """Seconds per test for the task's mutants: ample beside the gold's slowest test (5x, +0.5 s),
    at least BUG_TIME_FLOOR, at most the verifier's limit."""
    slowest = max((float(r.get("time") or 0.0) for r in gold_results), default=0.0)
    return min(limit, max(BUG_TIME_FLOOR, 5 * slowest + 0.5))


def _brief(result: dict) -> dict:
    return {k: (str(v)[:500] if k == "error" else v) for k, v in result.items() if k in ("name", "status", "error")}

