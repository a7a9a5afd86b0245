"""shell_fs: commands run only in the sandbox, on a tree rebuilt from the state; predicates judge the tree."""

from __future__ import annotations

import pytest

from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.swe.shell_fs import ShellFs, check_tree, holds, shell_tasks
from tests.verifiers.code.sandbox import needs_sandbox

TREE = {"a": {"type": "dir"}, "a/x.txt": {"type": "file", "text": "hi\n"}, "a/run.sh": {"type": "file", "text": "", "executable": True},
        "link": {"type": "symlink", "target": "a"}}


@pytest.mark.parametrize(("predicate", "expected"), [
    ({"kind": "exists", "path": "a", "type": "dir"}, True),
    ({"kind": "exists", "path": "a", "type": "file"}, False),
    ({"kind": "exists", "path": "link", "type": "symlink", "target": "a"}, True),
    ({"kind": "exists", "path": "link", "target": "b"}, False),
    ({"kind": "absent", "path": "a/y.txt"}, True),
    ({"kind": "absent", "path": "a/x.txt"}, False),
    ({"kind": "file_content", "path": "a/x.txt", "text": "hi\n"}, True),
    ({"kind": "file_content", "path": "a/x.txt", "text": "hi"}, False),
    ({"kind": "file_content", "path": "a", "text": ""}, False),
    ({"kind": "file_contains", "path": "a/x.txt", "text": "h"}, True),
    ({"kind": "dir_listing", "path": "a", "entries": ["run.sh", "x.txt"]}, True),
    ({"kind": "dir_listing", "path": "a", "entries": ["x.txt"]}, False),
    ({"kind": "executable", "path": "a/run.sh"}, True),
    ({"kind": "executable", "path": "a/x.txt"}, False),
])
def test_predicates(predicate, expected):
    assert holds(predicate, TREE) is expected


@pytest.mark.parametrize("tree", [{"/etc/passwd": {"type": "file"}}, {"a/../b": {"type": "dir"}}, {"a//b": {"type": "dir"}},
                                  {"a": {"type": "pipe"}}, {"f": {"type": "file"}, "f/g": {"type": "file"}}])
def test_bad_trees_are_refused(tree):
    with pytest.raises(ValueError):
        check_tree(tree)


def test_the_shipped_tasks_are_valid_and_not_already_solved():
    tasks = shell_tasks()
    assert len(tasks) >= 10 and len({t["task_id"] for t in tasks}) == len(tasks)
    for task in tasks:
        assert not all(holds(p, task["tree"]) for p in task["predicates"]), task["task_id"]


@pytest.fixture(scope="module")
def env(verifier):
    return ShellFs(verifier=verifier, command_time=2.0)


@needs_sandbox
def test_gold_commands_solve_every_task_in_the_sandbox(env):
    for task in shell_tasks():
        env.reset(task)
        for command in task["gold_commands"]:
            result = env.step(ToolCall("shell", {"command": command}))
            assert result.ok and result.observation["exit_code"] == 0, (task["task_id"], result)
        (state,) = env.check(task, [], [])
        assert state.name == "state" and state.passed, (task["task_id"], state.evidence)


@needs_sandbox
def test_a_wrong_command_fails_with_the_predicates_that_failed(env):
    task = next(t for t in shell_tasks() if t["task_id"] == "shell_fs/sort_names")
    env.reset(task)
    env.step(ToolCall("shell", {"command": "sort -r names.txt > sorted.txt"}))
    (state,) = env.check(task, [], [])
    assert not state.passed and state.score == 0.5
    assert state.evidence["failed"] == [task["predicates"][0]]


@needs_sandbox
def test_the_state_carries_over_between_commands_and_output_is_observed(env):
    env.reset({"tree": {}, "predicates": [{"kind": "exists", "path": "d"}]})
    env.step(ToolCall("shell", {"command": "mkdir d && printf 'x' > d/f"}))
    result = env.step(ToolCall("shell", {"command": "cat d/f; echo oops >&2; exit 3"}))
    assert result.observation == {"exit_code": 3, "timed_out": False, "stdout": "x", "stderr": "oops\n"}
    assert env.state() == {"tree": {"d": {"type": "dir"}, "d/f": {"type": "file", "text": "x"}}}


@needs_sandbox
def test_nothing_left_running_changes_the_tree_and_nothing_outside_it_is_kept(env):
    env.reset({"tree": {}, "predicates": [{"kind": "exists", "path": "d"}]})
    command = ("(sleep 1; echo late > f) & setsid sh -c 'sleep 1; echo late > g' & echo now > f; "
               "echo out > ../outside; echo hi > /tmp/elsewhere")
    result = env.step(ToolCall("shell", {"command": command}))
    assert result.ok
    assert env.state() == {"tree": {"f": {"type": "file", "text": "now\n"}}}
    listing = env.step(ToolCall("shell", {"command": "sleep 1.5; ls -a; cat ../outside 2>&1; ls /tmp"})).observation
    assert listing["stdout"].split("\n")[:3] == [".", "..", "f"]  # no g: the daemon died with the first run
    assert "out" not in listing["stdout"].split("\n")[3:4]  # the scratch of the first run is gone


@needs_sandbox
def test_a_command_that_hangs_times_out_and_keeps_what_it_did(env):
    env.reset({"tree": {}, "predicates": [{"kind": "exists", "path": "d"}]})
    result = env.step(ToolCall("shell", {"command": "touch before; sleep 30"}))
    assert result.ok and result.observation["timed_out"] and result.observation["exit_code"] is None
    assert "before" in env.state()["tree"]


@needs_sandbox
def test_a_tree_over_the_bounds_is_refused_and_changes_nothing(env):
    env.reset({"tree": {"keep": {"type": "file", "text": "k"}}, "predicates": [{"kind": "exists", "path": "keep"}]})
    before = env.state_hash()
    result = env.step(ToolCall("shell", {"command": "rm keep; head -c 2000000 /dev/zero > big"}))
    assert not result.ok and result.error_kind == "tool_error" and "too large" in result.observation
    assert env.state_hash() == before


@needs_sandbox
def test_binary_files_round_trip(env):
    env.reset({"tree": {}, "predicates": [{"kind": "exists", "path": "b"}]})
    env.step(ToolCall("shell", {"command": "printf '\\377\\000\\001' > b"}))
    assert env.state()["tree"]["b"] == {"type": "file", "base64": "/wAB"}
    result = env.step(ToolCall("shell", {"command": "od -An -tx1 b"}))
    assert result.observation["stdout"].split() == ["ff", "00", "01"]


@needs_sandbox
def test_a_command_cannot_touch_the_host(env, tmp_path):
    marker = tmp_path / "written-by-the-command"
    env.reset({"tree": {}, "predicates": [{"kind": "exists", "path": "d"}]})
    result = env.step(ToolCall("shell", {"command": f"echo x > {marker}; cat {marker}; ls {tmp_path}"}))
    assert result.ok and result.observation["exit_code"] != 0
    assert not marker.exists() and list(tmp_path.iterdir()) == []
