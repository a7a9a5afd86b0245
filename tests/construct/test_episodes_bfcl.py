"""The episodes step on BFCL multi-turn tasks: the later user turns are fed when the policy ends a
turn, calls get the `t<turn>.<n>` ids the environment's check splits turns by, and the environment
verifier judges the episode: a policy replaying the gold calls succeeds, one that drops a call fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reasonledger.construct.episodes import Episodes, UserSimulator
from reasonledger.engine.step import StepContext
from reasonledger.generation.backends.scripted import scripted_spec
from reasonledger.generation.protocol import Choice, GenerationRequest
from reasonledger.records.agent import EnvironmentSpec
from reasonledger.records.model import Record
from reasonledger.verifiers import get_verifier
from reasonledger.verifiers.environments.bfcl.data import load_category
from reasonledger.verifiers.environments.bfcl.multiturn import gold_turns

FS = {"root": {"alex": {"type": "directory", "contents": {
    "docs": {"type": "directory", "contents": {"a.txt": {"type": "file", "content": "b line\na line"}}}}}}}
TASK = {
    "id": "mini_0", "involved_classes": ["GorillaFileSystem", "MessageAPI"],
    "initial_config": {"GorillaFileSystem": FS, "MessageAPI": {"current_user": "USR001"}},
    "question": [[{"role": "user", "content": "Go to docs, make a folder old and move a.txt into it."}],
                 [{"role": "user", "content": "Which files are there?"}],
                 [{"role": "user", "content": "Show a.txt from old, then tell USR002 'done'."}]],
    "ground_truth": [
        ["cd(folder='docs')", "mkdir(dir_name='old')", "mv(source='a.txt', destination='old')"],
        [],
        ["cd('old')", "cat(file_name='a.txt')", "send_message(receiver_id='USR002', message='done')"],
    ],
}


def task_record(task: dict[str, Any]) -> Record:
    spec = EnvironmentSpec(env="bfcl_multiturn", task_id=task["id"], task=task,
                           reward_basis=["turns", "state", "results"])
    return Record(kind="prompt_answer", task={"prompt": task["question"][0], "reference": spec.as_reference(),
                                              "source": {"dataset": "tests/bfcl", "row_id": task["id"]},
                                              "verifier": {"name": "environment"}})


def gold_policy(task: dict[str, Any], drop: tuple[int, int] | None = None):
    """Answers each user turn with that turn's gold calls, one call a policy turn (arguments as JSON),
    then ends the turn in words; `drop` = (turn, call) leaves one gold call out."""
    turns = gold_turns(task)

    def policy(request: GenerationRequest, sample: int) -> Choice:
        messages = request.payload["messages"]
        turn = sum(m["role"] == "user" for m in messages) - 1
        since = len(messages) - max(i for i, m in enumerate(messages) if m["role"] == "user") - 1
        made = sum(1 for m in messages[len(messages) - since:] if m["role"] == "assistant")
        calls = [c for i, c in enumerate(turns[turn]) if (turn, i) != drop]
        if made == len(calls):
            return Choice(f"Turn {turn} done.", "stop")
        call = calls[made]
        return Choice("", "tool_calls", tool_calls=({"id": f"model-{made}", "type": "function", "function": {
            "name": call.name, "arguments": json.dumps(call.arguments)}},))

    return policy


def play(task: dict[str, Any], tmp_path, drop: tuple[int, int] | None = None, **params: Any):
    step = Episodes(generator=scripted_spec(gold_policy(task, drop), name=f"gold-{task['id']}-{drop}").model_dump(),
                    **params)
    ctx = StepContext("stage-00", 0, str(tmp_path), "00-episodes")
    try:
        return list(step.process(iter([task_record(task)]), ctx)), ctx
    finally:
        step.close()


def judged(episode: Record) -> dict[str, Any]:
    return {v.target: v for v in get_verifier("environment").verify_record(episode)}


def test_later_user_turns_are_fed_and_calls_are_ided_by_turn(tmp_path):
    (episode,), _ = play(TASK, tmp_path)
    behaviour = episode.behaviour
    users = [m.content for m in behaviour.messages if m.role == "user"]
    assert users == [turn[0]["content"] for turn in TASK["question"]]
    assert [a.id for a in behaviour.actions] == ["t0.0", "t0.1", "t0.2", "t2.0", "t2.1", "t2.2"]
    calls = [c.id for m in behaviour.messages if m.role == "assistant" for c in m.tool_calls or []]
    assert calls == [m.tool_call_id for m in behaviour.messages if m.role == "tool"] == [a.id for a in behaviour.actions]
    assert all(a.ok for a in behaviour.actions) and behaviour.termination == "agent_stop"
    assert behaviour.scaffold["user_turns"] == 3
    verdicts = judged(episode)
    assert verdicts["episode"].passed and verdicts["episode"].evidence["outcome"] == "success"
    assert all(verdicts[name].passed for name in ("turns", "state", "results"))


@pytest.mark.parametrize("drop, failing", [((0, 1), "state"), ((2, 1), "results")])
def test_a_policy_that_drops_a_gold_call_fails(tmp_path, drop, failing):
    (episode,), _ = play(TASK, tmp_path, drop)
    verdicts = judged(episode)
    assert not verdicts["episode"].passed and not verdicts[failing].passed


def test_max_steps_counts_the_policy_turns_of_one_user_turn(tmp_path):
    (episode,), _ = play(TASK, tmp_path, max_steps=4)  # 3 calls and a stop a turn fit
    assert episode.behaviour.termination == "agent_stop" and len(episode.behaviour.actions) == 6
    (cut,), _ = play(TASK, tmp_path / "cut", max_steps=3)
    assert cut.behaviour.termination == "max_steps" and [a.id for a in cut.behaviour.actions] == ["t0.0", "t0.1", "t0.2"]
    assert not judged(cut)["episode"].passed


def test_a_user_simulator_beside_scripted_turns_is_refused(tmp_path):
    user = UserSimulator(generator=scripted_spec(lambda request, sample: Choice("###STOP###", "stop"),
                                                 name="stopper").model_dump())
    episodes, ctx = play(TASK, tmp_path, user=user.model_dump())
    assert episodes == [] and ctx.stats["00-episodes"].dropped["scripted_user_turns"] == 1


@pytest.mark.parametrize("category", ["multi_turn_base", "multi_turn_miss_param"])
def test_bfcl_gold_sequences_played_through_the_step_succeed_and_a_drop_fails(shared_data, tmp_path, category):
    root = shared_data / "bfcl"
    if not (root / "question").is_dir():
        pytest.skip(f"BFCL data not found at {root} (see ../shared/data/README.md)")
    tasks = load_category(root, category)[:10]
    for task in tasks:
        task = {key: task[key] for key in ("id", "question", "initial_config", "involved_classes",
                                           "excluded_function", "ground_truth") if key in task}
        (episode,), _ = play(task, tmp_path / task["id"])
        assert judged(episode)["episode"].passed, task["id"]
        turn = next(i for i, calls in enumerate(task["ground_truth"]) if calls)
        (dropped,), _ = play(task, tmp_path / f"{task['id']}-drop", drop=(turn, 0))
        assert not judged(dropped)["episode"].passed, task["id"]
