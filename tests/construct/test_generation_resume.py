"""SIGKILL during generation, then resume: no request that already got an answer is sent again, and
the outputs are byte-identical to a run that was never interrupted. The build runs as a separate
process (`reasonledger build --endpoint`), the server in this one, counting every request body."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from reasonledger.generation.openai_server import Choice, Fault, ServerStats, body_key
from reasonledger.generation.request_cache import RequestCache
from reasonledger.engine.rundir import RunDir
from tests.construct.kill_resume import kill_when_answered, start_build

PROMPTS = 48
RECIPE = {
    "name": "resume-test", "seed": 3, "shard_rows": 12, "workers": 1,
    "sources": [{"type": "file", "path": "tasks.jsonl", "format": "jsonl",
                 "options": {"prompt_field": "question", "answer_field": "answer", "verifier": "exact",
                             "dataset": "tests/resume"}}],
    "steps": [{"type": "rollouts", "n": 4, "generator": {"model": "m", "concurrency": 4, "backoff": 0.01}},
              {"type": "verify"}, {"type": "pass_rate"}, {"type": "rejection_sample"}, {"type": "preference_pairs"}],
    "outputs": ["sft", "dpo"],
}


def answer(api, body):
    """Right on two seeds in three; the text names the request body, so the cache shows what it holds."""
    a, b = map(int, re.search(r"What is (\d+) \+ (\d+)", body["messages"][-1]["content"]).groups())
    value = a + b if body["seed"] % 3 else a + b + 1
    return [Choice(f"{a} plus {b}: <answer>{value}</answer> [{body_key(json.dumps(body).encode())}]")]


def slow(api, body, attempt):
    return Fault(delay=0.02)


def _recipe(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"question": f"What is {i} + {i * 7 % 11}?", "answer": str(i + i * 7 % 11)} for i in range(PROMPTS)]
    (folder / "tasks.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(RECIPE))
    return path


def _outputs(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for sub in ("data", "exports") for p in sorted((run / sub).rglob("*"))
            if p.is_file()}


def _cached_bodies(run: Path) -> set[str]:
    cache = RequestCache(RunDir(run).request_cache)
    bodies = {re.search(r"\[(\w+)\]$", r.choices[0].text).group(1) for r in cache.get_many(cache.keys()).values()}
    cache.close()
    return bodies


def test_sigkill_mid_generation_then_resume(serve, tmp_path):
    recipe = _recipe(tmp_path / "recipe")
    with serve(answer, slow) as server:
        reference = start_build(recipe, tmp_path / "reference", server.url)
        assert reference.wait(timeout=120) == 0, reference.stderr.read().decode()[-2000:]
        assert server.stats.requests == PROMPTS * 4 and set(server.stats.received.values()) == {1}
        expected = _outputs(tmp_path / "reference")

        server.stats = ServerStats()
        run = tmp_path / "killed"
        answered_before = kill_when_answered(start_build(recipe, run, server.url), server, 70, timeout=120)
        committed = _cached_bodies(run)
        assert 60 <= len(committed) < PROMPTS * 4 and committed <= answered_before

        server.stats = ServerStats()
        resumed = start_build(recipe, run, server.url)
        assert resumed.wait(timeout=120) == 0, resumed.stderr.read().decode()[-2000:]
        sent_again = set(server.stats.received)
        assert not sent_again & committed, "a request whose answer was stored was sent again"
        # only answers still on the wire when the process died can have been lost (concurrency is 4)
        assert len(sent_again & answered_before) <= 4
        assert len(sent_again) == PROMPTS * 4 - len(committed)
    assert _outputs(run) == expected

    report = subprocess.run([sys.executable, "-m", "reasonledger.cli", "construct", "report", str(run), "--json"],
                            capture_output=True, text=True, check=True)
    (rollouts,) = json.loads(report.stdout)["steps"]
    # every request counted once over the shards: done before the kill (sent), re-run (cached + sent), after
    assert rollouts["requests.cached"] + rollouts["requests.sent"] == PROMPTS * 4 and rollouts["requests.cached"] > 0
    assert json.loads(report.stdout)["failures"] == 0
