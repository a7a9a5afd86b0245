"""SWE-lite instances, built through the sandbox: the gold passes, the bug fails a test, nothing is dropped unsaid."""

from __future__ import annotations

import itertools

import pytest

from reasonledger.verifiers.environments.swe import instances as inst
from reasonledger.verifiers.environments.swe import testrun
from reasonledger.verifiers.environments.swe.mutate import mutants, normalise
from tests.verifiers.code.sandbox import needs_sandbox

pytestmark = needs_sandbox


def _assert_task(gold: str, tests: str, row_id: str = "t") -> inst.CodeTask:
    return inst.CodeTask("toy", row_id, "", "f", {"dataset": "toy"}, normalise(gold),
                         {"format": "assert", "fn_name": "f", "setup": "", "test": tests})


def test_equivalent_mutants_are_drops_and_every_mutant_is_accounted_for(verifier):
    # the branch under `if x > 100` is never taken by the tests: its mutants cannot fail them
    task = _assert_task("def f(x):\n    if x > 100:\n        return x * 3 + 1\n    return x + 1\n",
                        "assert f(1) == 2\nassert f(5) == 6\n")
    drawn = len(list(mutants(task.gold)))
    out = list(inst.build([task], verifier, per_task=drawn))
    assert len(out) == drawn  # one instance or one drop per mutant drawn
    equivalent = [d for d in out if isinstance(d, inst.Drop)]
    assert equivalent and {d.reason for d in equivalent} == {"equivalent_mutant"}
    assert any(d.detail["line"] == 3 for d in equivalent)  # the dead branch
    kept = [i for i in out if isinstance(i, inst.Instance)]
    assert kept and all(i.mutation["line"] in (2, 4) for i in kept)
    for i in kept:
        assert i.fail_to_pass and not set(i.fail_to_pass) & set(i.pass_to_pass)
        assert set(i.fail_to_pass) | set(i.pass_to_pass) == {"assert line 1", "assert line 2"}


def test_a_gold_that_fails_its_tests_drops_the_task(verifier):
    task = _assert_task("def f(x):\n    return x + 2\n", "assert f(1) == 2\n")
    (drop,) = inst.build([task], verifier, per_task=3)
    assert isinstance(drop, inst.Drop) and drop.reason == "gold_fails"
    assert drop.detail["first_failure"]["status"] == "wrong_answer"


def test_a_looping_bug_fails_its_tests_by_timeout_not_by_hanging_the_build(verifier):
    task = _assert_task("def f(n):\n    i = 0\n    while i < n:\n        i += 1\n    return i\n", "assert f(3) == 3\n")
    out = list(inst.build([task], verifier, per_task=50))
    negated = next(i for i in out if isinstance(i, inst.Instance) and i.mutation["description"] == "negate the While test")
    assert negated.bug_statuses == {"assert line 1": "wrong_answer"}  # `while not i < n` ends at once
    looping = [i for i in out if isinstance(i, inst.Instance) and "timeout" in i.bug_statuses.values()]
    assert {i.mutation["description"] for i in looping} >= {"1 -> 0"}  # `i += 0` loops: cut at the bug's time limit


@pytest.fixture(scope="module")
def sample(verifier, shared_data_module):
    """Ten real tasks, five from each dataset, built through the sandbox."""
    he = shared_data_module / "humaneval" / "HumanEvalPlus-v0.1.10.jsonl.gz"
    mbpp = shared_data_module / "mbpp" / "mbpp.jsonl"
    tasks = list(itertools.islice(inst.humanevalplus_tasks(he, verifier), 5)) + list(itertools.islice(inst.mbpp_tasks(mbpp), 5))
    return tasks, list(inst.build(tasks, verifier, seed=0, per_task=2))


def test_real_sample_gold_passes_and_each_bug_fails_a_test_in_the_sandbox(verifier, sample):
    tasks, out = sample
    by_row = {(t.dataset, t.row_id): t for t in tasks}
    kept = [i for i in out if isinstance(i, inst.Instance)]
    assert len(kept) >= 10 and {i.dataset for i in kept} == {"humanevalplus", "mbpp"}
    assert len(out) == sum(1 for _ in out)  # every drawn mutant and dropped task is an item
    assert {d.reason for d in out if isinstance(d, inst.Drop)} <= set(inst.DROP_REASONS)
    for i in kept:
        task = by_row[(i.dataset, i.row_id)]
        gold = testrun.outcomes(testrun.run_tests(verifier, task.reference, i.gold))
        assert set(gold.values()) == {testrun.PASS}, i.instance_id
        bug = testrun.outcomes(testrun.run_tests(verifier, i.reference, i.program, time_limit=1.0))
        assert all(bug.get(t) != testrun.PASS for t in i.fail_to_pass), i.instance_id
        assert all(bug.get(t) == testrun.PASS for t in i.pass_to_pass), i.instance_id
        assert i.program != i.gold


def test_real_sample_is_deterministic(verifier, sample):
    tasks, out = sample
    again = list(inst.build(tasks, verifier, seed=0, per_task=2))
    ids = [(type(x).__name__, getattr(x, "instance_id", None) or (x.row_id, x.mutant_id)) for x in out]
    assert ids == [(type(x).__name__, getattr(x, "instance_id", None) or (x.row_id, x.mutant_id)) for x in again]
