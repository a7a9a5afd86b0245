"""Agent episodes in a real build, killed mid-generation and resumed: no policy turn whose answer was
stored is asked again, and the episodes come out byte-identical to a build that was never
interrupted. τ-bench airline tasks (shared data), a policy served over HTTP by this process that looks
up the user and one reservation, then answers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from reasonledger.engine.rundir import RunDir
from reasonledger.generation.openai_server import Choice, Fault, ServerStats, body_key
from reasonledger.generation.request_cache import RequestCache
from reasonledger.records.model import Record
from tests.construct.kill_resume import kill_when_answered, start_build

TASKS = 16
TURNS = 3  # each episode: get_user_details, get_reservation_details, then the answer


def policy(api, body):
    """Deterministic, and each answer names the request body it answers (so the cache shows what it holds)."""
    messages = body["messages"]
    turn = sum(m["role"] == "assistant" for m in messages)
    tag = body_key(json.dumps(body).encode())
    if turn == 0:
        user_id = messages[-1]["content"].split("user id is ")[1].split()[0]
        calls = ({"id": f"u-{tag}", "type": "function",
                  "function": {"name": "get_user_details", "arguments": json.dumps({"user_id": user_id})}},)
        return [Choice("", "tool_calls", tool_calls=calls)]
    if turn == 1:
        user = json.loads(messages[-1]["content"])
        calls = ({"id": f"r-{tag}", "type": "function", "function": {
            "name": "get_reservation_details", "arguments": json.dumps({"reservation_id": user["reservations"][0]})}},)
        return [Choice(f"Looking at your first reservation [{tag}]", "tool_calls", tool_calls=calls)]
    return [Choice(f"Your reservation goes from {json.loads(messages[-1]['content'])['origin']} [{tag}]")]


def _recipe(folder: Path, shared_data: Path) -> Path:
    from reasonledger.verifiers.environments.tau import data

    folder.mkdir(parents=True, exist_ok=True)
    tasks = data.tasks(shared_data / "taubench", "airline", data.CURRENT)[:TASKS]
    records = [Record(kind="prompt_answer", task={
        "prompt": f"Hello, my user id is {task['user_id']} . Where does my first reservation go from?",
        "reference": {"env": "tau_airline", "revision": data.CURRENT, "task_id": str(i), "task": task,
                      "reward_basis": ["state", "outputs"]},
        "source": {"dataset": "sierra-research/tau-bench", "split": "test", "row_id": str(i)},
        "verifier": {"name": "environment"}}) for i, task in enumerate(tasks)]
    (folder / "tasks.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in records))
    recipe = {"name": "episodes-resume", "seed": 5, "shard_rows": 4, "workers": 1,
              "sources": [{"type": "file", "path": "tasks.jsonl", "format": "records"}],
              "steps": [{"type": "episodes", "batch": 2, "max_steps": 5,
                         "generator": {"model": "policy", "concurrency": 2, "backoff": 0.01}}],
              "outputs": []}
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def _start(recipe: Path, out: Path, endpoint: str, data_root: Path) -> subprocess.Popen:
    return start_build(recipe, out, endpoint, REASONLEDGER_DATA_ROOT=str(data_root))


def _data(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted((run / "data").rglob("*")) if p.is_file()}


def _cached_bodies(run: Path) -> set[str]:
    cache = RequestCache(RunDir(run).request_cache)
    found = set()
    for response in cache.get_many(cache.keys()).values():
        choice = response.choices[0]
        found.add((choice.tool_calls[0]["id"][2:] if choice.tool_calls and not choice.text else
                   choice.text.rsplit("[", 1)[1].rstrip("]")))
    cache.close()
    return found


def test_episodes_killed_mid_build_resume_without_asking_again_and_rebuild_the_same_bytes(serve, tmp_path, shared_data):
    recipe = _recipe(tmp_path / "recipe", shared_data)
    slow = lambda api, body, attempt: Fault(delay=0.03)  # noqa: E731
    with serve(policy, slow) as server:
        reference = _start(recipe, tmp_path / "reference", server.url, shared_data)
        assert reference.wait(timeout=180) == 0, reference.stderr.read().decode()[-2000:]
        assert server.stats.requests == TASKS * TURNS and set(server.stats.received.values()) == {1}
        expected = _data(tmp_path / "reference")
        assert any(name.endswith(".parquet") for name in expected)

        server.stats = ServerStats()
        run = tmp_path / "killed"
        answered_before = kill_when_answered(_start(recipe, run, server.url, shared_data), server, 20, timeout=180)
        committed = _cached_bodies(run)
        assert 15 <= len(committed) < TASKS * TURNS and committed <= answered_before

        server.stats = ServerStats()
        resumed = _start(recipe, run, server.url, shared_data)
        assert resumed.wait(timeout=180) == 0, resumed.stderr.read().decode()[-2000:]
        sent_again = set(server.stats.received)
        assert not sent_again & committed, "a policy turn whose answer was stored was asked again"
        assert len(sent_again & answered_before) <= 2  # at most what was on the wire at the kill (concurrency 2)
    assert _data(run) == expected
