"""`bfcl_multiturn`: BFCL's API classes as state machines, its two predicates, and BFCL's gold replays."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.bfcl.data import MULTI_TURN, load_category
from reasonledger.verifiers.environments.bfcl.multiturn import (
    MultiTurnEnvironment,
    gold_turns,
    result_key,
    split_turns,
)
from reasonledger.verifiers.environments.bfcl.mutants import drop_one_mutants

FS = {"root": {"alex": {"type": "directory", "contents": {
    "docs": {"type": "directory", "contents": {"a.txt": {"type": "file", "content": "b line\na line"}}},
    ".hidden": {"type": "file", "content": "x"}}}}}
TASK = {
    "id": "mini_0",
    "involved_classes": ["GorillaFileSystem", "MessageAPI", "MathAPI"],
    "initial_config": {"GorillaFileSystem": FS, "MessageAPI": {"current_user": "USR001"}},
    "excluded_function": ["rm"],
    "question": [[{"role": "user", "content": "..."}]] * 3,
    "ground_truth": [
        ["cd(folder='docs')", "mkdir(dir_name='old')", "mv(source='a.txt', destination='old')"],
        [],
        ["cd('old')", "cat(file_name='a.txt')", "send_message(receiver_id='USR002', message='done')"],
    ],
}


def seen(result):
    """What the model sees, decoded: tools answer with JSON text (errors raised inside a tool are plain text)."""
    try:
        return json.loads(result.observation)
    except json.JSONDecodeError:
        return result.observation


def test_the_file_system_follows_bfcl():
    env = MultiTurnEnvironment()
    env.reset(TASK)
    start = env.state()
    assert seen(env.step(ToolCall("pwd"))) == {"current_working_directory": "/alex"}
    assert seen(env.step(ToolCall("ls"))) == {"current_directory_content": ["docs"]}
    assert seen(env.step(ToolCall("ls", {"a": True}))) == {"current_directory_content": ["docs", ".hidden"]}
    assert seen(env.step(ToolCall("cd", {"folder": ".."})))["error"].startswith("Current directory is already the root")
    moved = env.step(ToolCall("cd", {"folder": "docs"}))
    assert moved.ok and not moved.changed and env.state() == start  # the current directory is not state
    assert env.step(ToolCall("cp", {"source": "a.txt", "destination": "b.txt"})).changed
    assert seen(env.step(ToolCall("echo", {"content": "new", "file_name": "b.txt"}))) is None
    assert seen(env.step(ToolCall("cat", {"file_name": "a.txt"}))) == {"file_content": "b line\na line"}
    assert seen(env.step(ToolCall("sort", {"file_name": "a.txt"}))) == {"sorted_content": "a line\nb line"}
    assert seen(env.step(ToolCall("tail", {"file_name": "a.txt", "lines": 1}))) == {"last_lines": "a line"}
    assert env.step(ToolCall("echo", {"content": "x", "file_name": "nope"})).error_kind == "tool_error"
    assert seen(env.step(ToolCall("cd", {"folder": "docs/old"})))["error"].endswith("one folder level at a time is supported.")
    tree = env.state()["GorillaFileSystem"]["root"]
    assert tree["name"] == "alex" and set(tree["contents"]["docs"]["contents"]) == {"a.txt", "b.txt"}


def test_step_classifies_failures_and_never_runs_unknown_names():
    env = MultiTurnEnvironment()
    env.reset(TASK)
    assert env.step(ToolCall("rm", {"file_name": "docs"})).error_kind == "unknown_tool"  # excluded for this task
    assert env.step(ToolCall("__init__", {})).error_kind == "unknown_tool"
    assert env.step(ToolCall("load", {"config": {}})).error_kind == "unknown_tool"
    assert env.step(ToolCall("cd", {})).error_kind == "bad_arguments"
    wrong_type = env.step(ToolCall("tail", {"file_name": ".hidden", "lines": "3"}))
    assert wrong_type.error_kind == "bad_arguments" and seen(wrong_type).startswith("Error during execution")
    assert seen(env.step(ToolCall("divide", {"a": 1, "b": 0}))) == {"error": "Cannot divide by zero"}
    assert env.step(ToolCall("square_root", {"number": 2, "precision": 10**9})).error_kind == "tool_error"
    assert env.step(ToolCall("power", {"base": 10, "exponent": 10**9})).error_kind == "tool_error"


def test_seeded_ids_replay_identically():
    first, second = MultiTurnEnvironment(), MultiTurnEnvironment()
    for env in (first, second):
        env.reset(TASK)
    send = ToolCall("send_message", {"receiver_id": "USR002", "message": "hi"})
    a, b = first.step(send), second.step(send)
    assert a.observation == b.observation and seen(a)["message_id"]["new_id"] >= 10000
    assert first.state_hash() == second.state_hash()


def test_gold_calls_are_parsed_with_positional_arguments_named():
    turns = gold_turns(TASK)
    assert [len(turn) for turn in turns] == [3, 0, 3]
    assert turns[2][0] == ToolCall("cd", {"folder": "old"}, id="t2.0")
    bad = {**TASK, "ground_truth": [["cd(folder=__import__('os').getcwd())"]]}
    with pytest.raises(ValueError, match="'mini_0' turn 0: .*only literal values"):
        gold_turns(bad)


def components(env, task, turns):
    return {component.name: component for component in env.check_turns(task, turns)}


def test_predicates_state_results_and_turns():
    env = MultiTurnEnvironment()
    gold = gold_turns(TASK)
    assert all(c.passed for c in components(env, TASK, gold).values())
    # the read done one turn early still counts for the results predicate, as in BFCL
    early = [gold[0] + [ToolCall("cd", {"folder": "old"}), ToolCall("cat", {"file_name": "a.txt"}),
                        ToolCall("cd", {"folder": ".."})], [], gold[2]]
    assert all(c.passed for c in components(env, TASK, early).values())
    # a dropped read is missed by the state and caught by the results
    no_read = [gold[0], [], [gold[2][0], gold[2][2]]]
    verdicts = components(env, TASK, no_read)
    assert verdicts["state"].passed and not verdicts["results"].passed
    assert verdicts["results"].evidence["first_failure"]["turn"] == 2
    # a dropped write is caught by the state
    no_mkdir = [[gold[0][0], gold[0][2]], [], gold[2]]
    verdicts = components(env, TASK, no_mkdir)
    assert not verdicts["state"].passed and verdicts["state"].evidence["failed_turns"][0] == 0
    assert verdicts["state"].evidence["first_failure"]["fields"] == {"GorillaFileSystem": ["root"]}
    # acting in the turn where the model should ask fails the turns predicate
    eager = [gold[0], [ToolCall("ls")], gold[2]]
    assert not components(env, TASK, eager)["turns"].passed
    assert not components(env, TASK, [gold[0], [], []])["turns"].passed


def test_check_splits_calls_into_turns_by_id():
    calls = [ToolCall("ls", id="t0.1"), ToolCall("pwd", id="t2.0"), ToolCall("cd", {"folder": "x"}, id="call_9")]
    assert [[c.name for c in turn] for turn in split_turns(calls, 3)] == [["ls"], [], ["pwd", "cd"]]
    env = MultiTurnEnvironment()
    gold = [call for turn in gold_turns(TASK) for call in turn]
    assert [c.passed for c in env.check(TASK, [], gold)] == [True, True, True]
    assert not all(c.passed for c in env.check(TASK, [], gold[:-1]))


def test_bfcl_gold_sequences_replay_deterministically_and_drop_one_mutants_are_caught(bfcl_root):
    tasks = [task for category in MULTI_TURN for task in load_category(bfcl_root, category)]
    assert len(tasks) == 400

    def replay(task):
        env = MultiTurnEnvironment()
        env.reset(task)
        trace = []
        for turn in gold_turns(task):
            for call in turn:
                trace.append((result_key(env.step(call)), env.state_hash()))
        return trace

    assert [task["id"] for task in tasks if replay(task) != replay(task)] == []
    env = MultiTurnEnvironment()
    counts = Counter()
    for task in tasks:
        gold = gold_turns(task)
        assert all(c.passed for c in env.check_turns(task, gold)), task["id"]
        for mutant in drop_one_mutants(gold):
            verdicts = components(env, task, mutant.calls)
            state, results, turns = (not verdicts[name].passed for name in ("state", "results", "turns"))
            counts["mutants"] += 1
            counts["state"] += state
            counts["state or results"] += state or results
            counts["any"] += state or results or turns
            if not (state or results):
                # only a turn left with no calls whose gold results were all produced earlier escapes both
                emptied = [i for i, turn in enumerate(mutant.calls) if not turn and gold[i]]
                assert turns and emptied
    missed = counts["mutants"] - counts["state"]
    print(f"multi-turn drop-one mutants: {counts['mutants']}; state alone misses {missed} "
          f"({missed / counts['mutants']:.1%}); state+results catch {counts['state or results']}; "
          f"with the empty-turn rule {counts['any']}")
    assert counts["any"] == counts["mutants"] == 2282
    assert 0.35 < missed / counts["mutants"] < 0.65
