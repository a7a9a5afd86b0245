"""The swe_lite environment: the repaired file is the action; fail_to_pass and pass_to_pass are two components."""

from __future__ import annotations

import pytest

from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.swe import instances as inst
from reasonledger.verifiers.environments.swe.mutate import normalise
from reasonledger.verifiers.environments.swe.swe_lite import SweLite
from tests.verifiers.code.sandbox import needs_sandbox

pytestmark = needs_sandbox

GOLD = "def f(xs):\n    total = 0\n    for x in xs:\n        if x > 0:\n            total += x\n    return total\n"
TESTS = "assert f([1, 2]) == 3\nassert f([-1, 4]) == 4\nassert f([]) == 0\n"


@pytest.fixture(scope="module")
def instance(verifier):
    task = inst.CodeTask("toy", "sum", "Sum the positive numbers of xs.", "f", {"dataset": "toy"}, normalise(GOLD),
                         {"format": "assert", "fn_name": "f", "setup": "", "test": TESTS})
    kept = [i for i in inst.build([task], verifier, per_task=50) if isinstance(i, inst.Instance)]
    # `total -= x` fails the first two tests and passes f([]) == 0
    return next(i for i in kept if "total -= x" in i.program)


@pytest.fixture
def env(verifier, instance):
    e = SweLite(verifier=verifier)
    e.reset(instance.as_task())
    return e


def _components(env, instance):
    return {c.name: c for c in env.check(instance.as_task(), [], [])}


def test_the_bug_as_given_fails_fail_to_pass_and_keeps_pass_to_pass(env, instance):
    assert instance.fail_to_pass and instance.pass_to_pass
    c = _components(env, instance)
    assert not c["fail_to_pass"].passed and c["fail_to_pass"].score == 0.0
    assert c["pass_to_pass"].passed and c["pass_to_pass"].score == 1.0
    assert c["fail_to_pass"].evidence["edited"] is False


def test_writing_the_gold_file_passes_both(env, instance):
    result = env.step(ToolCall("write_file", {"path": "solution.py", "content": instance.gold}))
    assert result.ok and result.changed
    c = _components(env, instance)
    assert c["fail_to_pass"].passed and c["pass_to_pass"].passed


def test_a_repair_that_breaks_other_tests_fails_pass_to_pass(env, instance):
    broken = "def f(xs):\n    return sum(x for x in xs if x > 0) if xs else 1\n"
    env.step(ToolCall("write_file", {"path": "solution.py", "content": broken}))
    c = _components(env, instance)
    assert c["fail_to_pass"].passed and not c["pass_to_pass"].passed


def test_a_file_that_does_not_load_fails_everything_and_says_why(env, instance):
    env.step(ToolCall("write_file", {"path": "solution.py", "content": "raise SystemExit(3)\n"}))
    c = _components(env, instance)
    assert not c["fail_to_pass"].passed and not c["pass_to_pass"].passed
    assert c["pass_to_pass"].evidence["run_failure"]["name"] == "load"


def test_a_fenced_string_in_the_file_is_code_not_a_response(env, instance):
    # the file is run as written: a ``` inside a string does not make the verifier extract something else
    content = instance.gold + '\nNOTE = """\n```python\ndef f(xs):\n    return 0\n```\n"""\n'
    env.step(ToolCall("write_file", {"path": "solution.py", "content": content}))
    assert all(c.passed for c in env.check(instance.as_task(), [], []))


def test_tools_refuse_other_files_and_bad_content(env):
    r = env.step(ToolCall("write_file", {"path": "../etc/passwd", "content": "x"}))
    assert not r.ok and r.error_kind == "tool_error"
    r = env.step(ToolCall("write_file", {"path": "solution.py", "content": 7}))
    assert not r.ok and r.error_kind == "tool_error" and not r.changed
    r = env.step(ToolCall("write_file", {"path": "solution.py"}))
    assert not r.ok and r.error_kind == "bad_arguments"


def test_read_file_and_run_tests_report_the_state(env, instance):
    assert env.step(ToolCall("read_file", {"path": "solution.py"})).observation == instance.program
    report = env.step(ToolCall("run_tests", {})).observation
    assert report["n_failed"] == len(instance.fail_to_pass)
    assert report["passed"] == len(instance.pass_to_pass)
    assert env.state() == {"files": {"solution.py": instance.program}}


def test_reset_refuses_a_task_that_is_no_instance():
    with pytest.raises(ValueError, match="needs 'file'"):
        SweLite().reset({"program": "x = 1"})
