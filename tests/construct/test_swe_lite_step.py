"""The `swe_lite` step in a recipe: MBPP tasks with their solutions become SWE-lite repair tasks, the
same instances the instance builder makes, each task that gives none dropped with its reason."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from reasonledger.engine.recipe_paths import ALLOW_OUTSIDE_ENV
from reasonledger.product import build
from reasonledger.records.io import iter_valid
from reasonledger.verifiers.code.verifier import CodeVerifier
from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.swe import instances as inst
from reasonledger.verifiers.environments.swe.build import code_tasks
from reasonledger.verifiers.environments.swe.swe_lite import SweLite

TASKS = 16


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from tests.conftest import SHARED_DATA as shared_data

    if not shared_data.is_dir():
        pytest.skip(f"real test data not found at {shared_data} (set REASONLEDGER_SHARED_DATA)")
    folder = tmp_path_factory.mktemp("swe_lite_step")
    subset = folder / "mbpp-head.jsonl"  # the first tasks of MBPP, read from the shared data
    with (shared_data / "mbpp" / "mbpp.jsonl").open(encoding="utf-8") as rows:
        subset.write_text("".join(next(rows) for _ in range(TASKS)), encoding="utf-8")
    recipe = folder / "swe_lite.yaml"
    recipe.write_text(json.dumps({
        "name": "swe-lite-head", "seed": 3, "shard_rows": 8,
        "sources": [{"type": "file", "path": str(subset), "format": "mbpp", "options": {"attach_solutions": True}}],
        "steps": [{"type": "swe_lite", "per_task": 3, "seed": 5}]}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ALLOW_OUTSIDE_ENV, "1")
        result = build(recipe, folder / "run", workers=1, show_progress=False)
    assert result.records > 0
    return folder / "run", subset


def test_each_record_is_a_repair_task_whose_bug_fails_and_whose_gold_passes(built):
    run, _ = built
    records = list(iter_valid(run / "data"))
    assert all(r.task.verifier.name == "environment" and r.task.reference["env"] == "swe_lite" for r in records)
    assert all(len(r.lineage.parents) == 1 and r.lineage.events[-1].step == "swe_lite" for r in records)
    verifier = CodeVerifier()
    try:
        for record in records[:4]:
            spec = record.task.reference
            env = SweLite(verifier=verifier)
            env.reset(spec["task"])
            assert {c.name: c.passed for c in env.check(spec["task"], [], [])} == {"fail_to_pass": False,
                                                                                 "pass_to_pass": True}
            gold = spec["gold_actions"][0]
            env.step(ToolCall(gold["name"], gold["arguments"]))
            assert all(c.passed for c in env.check(spec["task"], [], []))
    finally:
        verifier.close()


def test_the_step_makes_the_instance_builders_instances_and_says_why_a_task_gave_none(built):
    run, subset = built
    records = list(iter_valid(run / "data"))
    rejected = list(iter_valid(run / "rejected"))
    verifier = CodeVerifier()
    try:
        made = list(inst.build(code_tasks(None, subset, verifier), verifier, seed=5, per_task=3))
    finally:
        verifier.close()
    assert sorted(r.task.source.row_id for r in records) == sorted(i.instance_id for i in made if isinstance(i, inst.Instance))
    given = {r.task.source.row_id.split("/")[1] for r in records}
    lost = {r.task.source.row_id for r in rejected}
    assert len(given) + len(lost) == TASKS and not given & lost  # every task gave an instance or was dropped
    assert all(r.meta["rejection"]["reason"] in inst.DROP_REASONS and r.meta["rejection"]["detail"] for r in rejected)
    stats = _step_stats(run)
    left_out = Counter(i.reason for i in made if isinstance(i, inst.Drop))
    assert stats["by"].get("left_out", {}) == dict(left_out) and stats["counters"]["instances"] == len(records)
    assert stats["dropped"] == dict(Counter(r.meta["rejection"]["reason"] for r in rejected))


def _step_stats(run: Path) -> dict:
    events = [json.loads(line) for line in (run / "runlog.jsonl").read_text().splitlines()]
    stage = next(e for e in events if e["event"] == "stage")
    return next(step for step in stage["steps"] if step["step"] == "swe_lite")


def test_a_task_without_its_solution_or_tests_is_dropped_saying_what_to_import(built):
    from reasonledger.construct.swe_lite import SweLiteTasks
    from reasonledger.engine.step import StepContext
    from reasonledger.formats.importers import import_file
    from reasonledger.records.model import Kind, Record

    _, subset = built
    bare = next(iter(import_file(subset, "mbpp")))  # imported without attach_solutions
    maths = Record(kind=Kind.prompt_answer, task={"prompt": "1+1?", "reference": "2", "source": {"dataset": "d", "row_id": "0"}},
                   behaviour={"response": "2"}, meta={"solution_origin": "x"})
    broken = bare.model_copy(update={"behaviour": bare.behaviour.model_copy(update={"response": "def f(:"}),
                                     "meta": {"solution_origin": "x"}})
    ctx = StepContext("s", 0, None, "swe_lite")
    step = SweLiteTasks()
    try:
        assert list(step.process(iter([bare, maths, broken]), ctx)) == []
    finally:
        step.close()
    assert [(r.reason, r.detail) for r in ctx.rejected] == [
        ("no_gold_solution", "no gold solution to mutate (import with attach_solutions)"),
        ("not_a_code_task", "no code-test reference with a function name (import HumanEval(+) or MBPP)"),
        ("unparsable_gold", '{"error": "SyntaxError: invalid syntax (<unknown>, line 1)"}')]


def test_the_steps_sandbox_config_stays_within_the_operators_limits():
    from pydantic import ValidationError

    from reasonledger.construct.swe_lite import SweLiteTasks

    with pytest.raises(ValidationError, match=r"config.time_limit: 1000000000 is looser than the operator's"):
        SweLiteTasks(config={"time_limit": 10**9})
    SweLiteTasks(config={"time_limit": 1})  # tighter is the recipe's to choose
