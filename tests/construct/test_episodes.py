"""The episodes step: scripted and replayed policies (and a scripted user simulator) act on a small
environment through the generation layer; tool calls are parsed and dispatched, the episode records
carry every turn and action, and the request cache makes a second run send nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reasonledger.construct.episodes import Episodes, episode_replay_lines
from reasonledger.engine.step import StepContext
from reasonledger.generation.backends.scripted import scripted_spec
from reasonledger.generation.protocol import Choice, Failure, GenerationRequest
from reasonledger.records.agent import environment_spec
from reasonledger.records.model import Kind, Record
from reasonledger.registry import registry
from reasonledger.verifiers import get_verifier
from tests.construct.piggy_bank import ENV, PiggyBank, task_record


@pytest.fixture(autouse=True)
def piggy_bank():
    registry("environment").add(ENV, PiggyBank)
    yield
    registry("environment").remove(ENV)


def call(name: str, arguments: Any, id_: str) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": id_, "type": "function", "function": {"name": name, "arguments": text}}


def tool_turns(request: GenerationRequest) -> int:
    return sum(m["role"] == "assistant" for m in request.payload["messages"])


def clumsy_policy(request: GenerationRequest, sample: int) -> Choice:
    """Turn 1: a wrong-typed call, a call to no tool and a good call; turn 2: the rest of the coins and
    a count; turn 3: says the count (no tool call)."""
    turn = tool_turns(request)
    target = int(request.payload["messages"][-1]["content"].split()[1]) if turn == 0 else None
    if turn == 0:
        assert [t["function"]["name"] for t in request.payload["tools"]] == ["count", "put"]
        assert request.payload["tool_choice"] == "auto" and target == 7
        return Choice("", "tool_calls", tool_calls=(call("put", {"coins": "three"}, "a"), call("shake", {}, "b"),
                                                    call("put", {"coins": 3}, "c")))
    if turn == 1:
        return Choice("Adding the rest.", "tool_calls", tool_calls=(call("put", '{"coins": 4}', "d"), call("count", "", "e")))
    last = request.payload["messages"][-1]
    assert last["role"] == "tool" and last["content"] == "7"
    return Choice("There are 7 coins in the bank.", "stop")


def run(step: Episodes, records: list[Record], tmp_path) -> tuple[list[Record], StepContext]:
    ctx = StepContext("stage-00", 0, str(tmp_path), "00-episodes")
    try:
        return list(step.process(iter(records), ctx)), ctx
    finally:
        step.close()


def test_a_scripted_policy_acts_through_parsed_tool_calls_and_the_episode_keeps_every_turn(tmp_path):
    step = Episodes(generator=scripted_spec(clumsy_policy).model_dump(), system="You run a piggy bank.")
    source = task_record()
    (episode,), ctx = run(step, [source], tmp_path)
    assert episode.kind == Kind.episode and episode.lineage.parents == [source.id]
    behaviour = episode.behaviour
    assert [m.role for m in behaviour.messages] == ["system", "user", "assistant", "tool", "tool", "tool",
                                                     "assistant", "tool", "tool", "assistant"]
    assert behaviour.termination == "agent_stop"
    kinds = [(a.name, a.ok, a.error_kind) for a in behaviour.actions]
    assert kinds == [("put", False, "tool_error"), ("shake", False, "unknown_tool"), ("put", True, None),
                     ("put", True, None), ("count", True, None)]
    assert behaviour.actions[3].observation == "7 coins" and behaviour.actions[4].observation == 7
    assert behaviour.actions[4].arguments == {}  # "" arguments: no arguments
    assert [m.tool_call_id for m in behaviour.messages if m.role == "tool"] == ["a", "b", "c", "d", "e"]
    hashes = [a.state_hash for a in behaviour.actions]
    assert hashes[0] == hashes[1] != hashes[2] != hashes[3] == hashes[4]
    assert behaviour.scaffold["agent_loop"] == "reasonledger.episodes/1" and behaviour.scaffold["system_prompt_hash"]
    assert episode.meta["episode"]["steps"] == 3 and len(episode.meta["episode"]["requests"]) == 3
    stats = ctx.stats["00-episodes"]
    assert stats.counts["tool_calls"] == 5 and stats.by["tool_calls.failed"]["unknown_tool"] == 1
    assert stats.by["termination"]["agent_stop"] == 1 and stats.by["requests"]["sent"] == 3

    # the environment verifier replays the recorded actions and checks the episode
    verdicts = {v.target: v for v in get_verifier("environment").verify_record(episode)}
    assert verdicts["state"].passed and verdicts["outputs"].passed
    assert not verdicts["step:0"].passed and not verdicts["step:1"].passed


def test_a_second_run_answers_every_turn_from_the_request_cache_and_rebuilds_the_same_episodes(tmp_path):
    asked = []

    def policy(request, sample):
        asked.append(sample)
        return clumsy_policy(request, sample)

    params = {"generator": scripted_spec(policy, name="counting-policy").model_dump(), "n": 2}
    first, _ = run(Episodes(**params), [task_record()], tmp_path)
    second, ctx = run(Episodes(**params), [task_record()], tmp_path)
    assert len(asked) == 6 and sorted(set(asked)) == [0, 1]  # two samples, three turns each, asked once
    assert ctx.stats["00-episodes"].by["requests"]["cached"] == 6
    assert "sent" not in ctx.stats["00-episodes"].by["requests"]
    assert [e.id for e in second] == [e.id for e in first] and first[0].id != first[1].id  # seeds differ


def test_a_replayed_policy_rebuilds_a_recorded_episode_turn_for_turn(tmp_path):
    (recorded,), _ = run(Episodes(generator=scripted_spec(clumsy_policy).model_dump()), [task_record()], tmp_path / "a")
    replay = tmp_path / "episode.jsonl"
    replay.write_text("".join(json.dumps(line) + "\n" for line in episode_replay_lines([recorded])))
    step = Episodes(generator={"backend": "replay", "replay": [str(replay)], "model": "scripted:replayed"})
    (again,), ctx = run(step, [task_record()], tmp_path / "b")
    assert again.behaviour.messages == recorded.behaviour.messages
    assert again.behaviour.actions == recorded.behaviour.actions
    assert ctx.stats["00-episodes"].by["requests"]["replayed"] == 3


def test_max_steps_ends_an_episode_that_never_stops(tmp_path):
    always = lambda request, sample: Choice("", "tool_calls", tool_calls=(call("count", {}, "x"),))  # noqa: E731
    step = Episodes(generator=scripted_spec(always, name="always-count").model_dump())
    (episode,), ctx = run(step, [task_record(limits={"max_steps": 4})], tmp_path)
    assert episode.behaviour.termination == "max_steps" and len(episode.behaviour.actions) == 4
    verdicts = {v.target: v for v in get_verifier("environment").verify_record(episode)}
    assert not verdicts["episode"].passed  # kept, with its outcome, never dropped


def test_a_scripted_user_simulator_talks_to_the_policy_until_it_says_stop(tmp_path):
    def user(request, sample):
        messages = request.payload["messages"]
        assert "You want 7 coins in the bank." in messages[0]["content"]
        if messages[-1]["content"] == "Hi! How can I help you today?":
            return "Please put 7 coins in my bank."
        return "###STOP###" if "7 coins" in messages[-1]["content"] else "That is not right."

    def policy(request, sample):
        if request.payload["messages"][-1]["role"] == "user":
            assert request.payload["messages"][-1]["content"] == "Please put 7 coins in my bank."
            return Choice("", "tool_calls", tool_calls=(call("put", {"coins": 7}, "p"),))
        return "Done: there are 7 coins in your bank."

    step = Episodes(generator=scripted_spec(policy, name="bank-agent").model_dump(),
                    user={"generator": scripted_spec(user, name="bank-user").model_dump()})
    (episode,), ctx = run(step, [task_record()], tmp_path)
    assert episode.behaviour.termination == "user_stop"
    assert [m.role for m in episode.behaviour.messages] == ["user", "assistant", "tool", "assistant", "user"]
    assert episode.behaviour.messages[-1].content == "###STOP###"  # kept, as τ-bench keeps it
    assert episode.behaviour.scaffold["user_simulator"]["model"] == "scripted:bank-user"
    assert ctx.stats["00-episodes"].by["termination"]["user_stop"] == 1
    set_up = ctx.stats["00-episodes"].set_up
    assert set_up["generator_clients"] == 1 and set_up["user_simulator_clients"] == 1


def test_a_failed_request_drops_the_task_with_its_reason_and_a_non_environment_task_is_refused(tmp_path):
    down = lambda request, sample: Failure("http_503", "scripted outage", 3)  # noqa: E731
    plain = Record(kind="prompt_answer", task={"prompt": "2+2?", "reference": "4", "source": {"dataset": "x"}})
    elsewhere = task_record(row=1).model_copy(deep=True)
    elsewhere.task.reference["env"] = "nowhere"
    out, ctx = run(Episodes(generator=scripted_spec(down, name="down").model_dump()), [task_record(), plain, elsewhere],
                   tmp_path)
    assert out == []
    assert sorted(r.reason for r in ctx.rejected) == ["generation_failed", "not_an_environment_task",
                                                       "unknown_environment"]


def test_tau_airline_episode_with_a_scripted_policy(shared_data, tmp_path, monkeypatch):
    from reasonledger.verifiers.environments.tau import data

    monkeypatch.setenv("REASONLEDGER_DATA_ROOT", str(shared_data))
    task = data.tasks(shared_data / "taubench", "airline", data.CURRENT)[0]
    spec = {"env": "tau_airline", "revision": data.CURRENT, "task_id": "0", "task": task,
            "reward_basis": ["state", "outputs"]}
    record = Record(kind="prompt_answer", task={"prompt": task["instruction"], "reference": spec,
                                                "source": {"dataset": "sierra-research/tau-bench", "row_id": "0"},
                                                "verifier": {"name": "environment"}})

    def policy(request, sample):
        offered = {t["function"]["name"]: t["function"]["parameters"] for t in request.payload["tools"]}
        assert offered["get_user_details"]["required"] == ["user_id"] and "book_reservation" in offered
        if request.payload["messages"][-1]["role"] == "user":
            return Choice("", "tool_calls", tool_calls=(call("get_user_details", {"user_id": task["user_id"]}, "u"),))
        return "I found your profile."

    (episode,), _ = run(Episodes(generator=scripted_spec(policy, name="tau-reader").model_dump()), [record], tmp_path)
    (action,) = episode.behaviour.actions
    assert action.ok and json.loads(action.observation)["name"]  # τ-bench's JSON text of the user
    assert environment_spec(episode.task).env == "tau_airline"
    verdicts = {v.target: v for v in get_verifier("environment").verify_record(episode)}
    assert verdicts["episode"].evidence["first_divergence"] is None  # the replay reproduced every observation


def _replay_file(path, lines) -> str:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(path)


def test_replayed_policy_and_user_rebuild_several_samples_and_a_simulated_conversation(tmp_path):
    def user(request, sample):
        said = request.payload["messages"][-1]["content"]
        if said == "Hi! How can I help you today?":
            return f"Please put {3 + sample} coins in my bank."
        return "###STOP###" if "coins now" in said else "Try again."

    def policy(request, sample):
        last = request.payload["messages"][-1]
        if last["role"] == "user":
            coins = int(last["content"].split()[2])
            return Choice("", "tool_calls", tool_calls=(call("put", {"coins": coins}, f"p{sample}"),))
        return f"There are {last['content'].split()[0]} coins now."

    scripted = {"generator": scripted_spec(policy, name="sample-agent").model_dump(), "n": 2,
                "user": {"generator": scripted_spec(user, name="sample-user").model_dump()}}
    recorded, _ = run(Episodes(**scripted), [task_record()], tmp_path / "a")
    assert [len(e.behaviour.messages) for e in recorded] == [5, 5]
    assert recorded[0].behaviour.actions[0].arguments != recorded[1].behaviour.actions[0].arguments
    replayed = {"n": 2, "generator": {"backend": "replay", "model": "replayed", "replay": [
                    _replay_file(tmp_path / "policy.jsonl", episode_replay_lines(recorded))]},
                "user": {"generator": {"backend": "replay", "model": "replayed-user", "replay": [
                    _replay_file(tmp_path / "user.jsonl", episode_replay_lines(recorded, role="user"))]}}}
    again, ctx = run(Episodes(**replayed), [task_record()], tmp_path / "b")
    assert [e.behaviour.messages for e in again] == [e.behaviour.messages for e in recorded]
    assert [e.behaviour.actions for e in again] == [e.behaviour.actions for e in recorded]
    assert ctx.stats["00-episodes"].by["termination"]["user_stop"] == 2


def test_a_built_run_of_episodes_becomes_replay_files_that_rebuild_it_offline(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from reasonledger.cli import app
    from reasonledger.product import build
    from reasonledger.records.io import iter_valid

    def user(request, sample):
        said = request.payload["messages"][-1]["content"]
        return f"Please put {4 + sample} coins in." if said.startswith("Hi!") else "###STOP###"

    def policy(request, sample):
        last = request.payload["messages"][-1]
        if last["role"] == "user":
            return Choice("", "tool_calls", tool_calls=(call("put", {"coins": int(last["content"].split()[2])}, "q"),))
        return "Done."

    scripted_spec(policy, name="build-agent")
    scripted_spec(user, name="build-user")
    folder = tmp_path / "recipe"
    folder.mkdir()
    (folder / "tasks.jsonl").write_text("".join(task_record(target=t, row=t).model_dump_json() + "\n" for t in (4, 5)))
    step = {"type": "episodes", "n": 2, "generator": {"backend": "scripted", "script": "build-agent"},
            "user": {"generator": {"backend": "scripted", "script": "build-user"}}}
    recipe = {"name": "episodes", "seed": 1, "workers": 1, "outputs": [], "steps": [step],
              "sources": [{"type": "file", "path": "tasks.jsonl", "format": "records"}]}
    (folder / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    build(folder / "recipe.yaml", tmp_path / "run", show_progress=False)
    episodes = list(iter_valid(tmp_path / "run"))
    assert len(episodes) == 4 and {e.behaviour.termination for e in episodes} == {"user_stop"}

    runner = CliRunner()
    for role in ("policy", "user"):
        made = runner.invoke(app, ["construct", "replay-file", str(tmp_path / "run"), "--role", role,
                                   "--out", str(folder / f"{role}.jsonl")])
        assert made.exit_code == 0, made.output
    step["generator"] = {"backend": "replay", "replay": ["policy.jsonl"], "model": "scripted:build-agent"}
    step["user"]["generator"] = {"backend": "replay", "replay": ["user.jsonl"], "model": "scripted:build-user"}
    (folder / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    build(folder / "recipe.yaml", tmp_path / "offline", show_progress=False)
    offline = list(iter_valid(tmp_path / "offline"))
    assert [e.behaviour for e in offline] == [e.behaviour for e in episodes]
    assert [e.id for e in offline] == [e.id for e in episodes]
