"""The two example recipes: replay.yaml offline on its hand-made fixture, and rejection_sampling.yaml
against an OpenAI-protocol server whose policy has a known pass rate per prompt; then that run is
turned into a replay file and rebuilt offline into the same SFT and DPO exports."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.generation.openai_server import Choice
from reasonledger.product import build
from reasonledger.engine.recipe import instantiate, load_recipe
from reasonledger.records.io import iter_valid
from reasonledger.records.model import Kind

ROOT = Path(__file__).resolve().parents[2]
REPLAY = ROOT / "examples" / "replay.yaml"
REJECTION = ROOT / "examples" / "rejection_sampling.yaml"
SMALL = ["sources.0.size=24", "shard_rows=12"]
CORRECT_OF_8 = [0, 3, 6, 8]  # a prompt's difficulty class -> how many of its 8 seeds answer right


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_replay_recipe_runs_offline(tmp_path):
    result = build(REPLAY, tmp_path / "run", workers=1, show_progress=False)
    records = list(iter_valid(tmp_path / "run"))
    kinds = Counter(r.kind for r in records)
    assert kinds == {Kind.rollout_set: 6, Kind.trace: 6, Kind.preference_pair: 6}
    rejected = {r.task.prompt[:30]: r.meta["rejection"]["reason"] for r in iter_valid(tmp_path / "run" / "rejected")}
    assert rejected == {"A shop sells pencils at 3 for ": "too_easy", "The sum of two consecutive int": "too_hard"}
    sets = {r.id: r for r in records if r.kind == Kind.rollout_set}
    for row in _lines(tmp_path / "run" / "exports" / "sft.jsonl"):
        source = sets[row["rollout_set"]]
        (verdict,) = [v for v in source.verdicts if v.target == f"rollout:{row['rollout_index']}"]
        assert verdict.passed and row["messages"][-1]["content"] == source.behaviour.rollouts[row["rollout_index"]].response
        assert row["messages"][0]["content"].endswith("in <answer></answer> tags.")
    assert len(_lines(tmp_path / "run" / "exports" / "dpo.jsonl")) == 6 and set(result.outputs) == {"sft", "dpo"}


def _policy(recipe: Path, overrides: list[str]):
    """Right answers for each prompt of the recipe's source on CORRECT_OF_8[class] of 8 consecutive seeds."""
    loaded = load_recipe(recipe, [*overrides, "steps.1.generator.endpoint=http://127.0.0.1:1/v1"])  # only read here
    (source,), _ = instantiate(loaded, recipe.parent)
    gold = {r.task.prompt: r.task.reference["answer"] for r in source.read(0, source.count())}

    def difficulty(question: str) -> int:
        return int(hashlib.sha256(question.encode()).hexdigest(), 16) % 4

    def answer(api, body):
        question = body["messages"][-1]["content"].split("\n\nThink step by step")[0]
        right = body["seed"] % 8 < CORRECT_OF_8[difficulty(question)]
        return [Choice(f"Let me think.\n<answer>{gold[question] if right else 'no idea'}</answer>")]

    return answer, {q: difficulty(q) for q in gold}


def test_rejection_sampling_recipe_against_an_endpoint_then_replayed_offline(serve, tmp_path, monkeypatch):
    answer, classes = _policy(REJECTION, SMALL)
    with serve(answer, models=["policy-x"]) as server:
        monkeypatch.setenv("REASONLEDGER_ENDPOINT", server.url)
        build(REJECTION, tmp_path / "live", SMALL, show_progress=False)
        requests = server.stats.requests
    run = tmp_path / "live"
    records = list(iter_valid(run))
    rejected = list(iter_valid(run / "rejected"))
    generated = [r for r in [*records, *rejected] if r.kind == Kind.rollout_set]
    assert requests == 8 * len(generated) and len(generated) >= 20  # gold_check may drop a task or two
    sets = [r for r in records if r.kind == Kind.rollout_set]
    assert sorted(s.meta["pass_rate"]["c"] for s in sets) == sorted(
        CORRECT_OF_8[classes[s.task.prompt]] for s in generated if classes[s.task.prompt] in (1, 2))
    assert all(s.meta["pass_rate"]["conditioning"]["policy"] == "policy-x" for s in sets)
    assert all(s.lineage.events[-1].sampling["temperature"] == 1.0 for s in sets)
    reasons = Counter(r.meta["rejection"]["reason"] for r in rejected if r.kind == Kind.rollout_set)
    assert reasons == {"too_hard": sum(classes[s.task.prompt] == 0 for s in generated),
                       "too_easy": sum(classes[s.task.prompt] == 3 for s in generated)}
    assert len(_lines(run / "exports" / "sft.jsonl")) == len(sets) and len(_lines(run / "exports" / "dpo.jsonl")) == 2 * len(sets)

    runner = CliRunner()
    report = runner.invoke(app, ["construct", "report", str(run), "--json"])
    assert report.exit_code == 0, report.output
    (step,) = json.loads(report.stdout)["steps"]
    assert step["requests.sent"] == requests and step["versions"]["backend"] == "openai"

    replay_file = tmp_path / "replay.jsonl"
    made = runner.invoke(app, ["construct", "replay-file", str(run), "--out", str(replay_file)])
    assert made.exit_code == 0, made.output
    monkeypatch.delenv("REASONLEDGER_ENDPOINT")
    monkeypatch.setenv("REASONLEDGER_ALLOW_OUTSIDE_PATHS", "1")  # the replay file is in tmp_path, not beside the recipe
    offline = SMALL + ["steps.1.generator.backend=replay", f"steps.1.generator.replay=[{replay_file}]",
                       "steps.1.generator.model=policy-x"]
    build(REJECTION, tmp_path / "offline", offline, show_progress=False)
    for name in ("sft.jsonl", "dpo.jsonl"):
        assert (tmp_path / "offline" / "exports" / name).read_bytes() == (run / "exports" / name).read_bytes()
    assert [r.id for r in iter_valid(tmp_path / "offline")] == [r.id for r in records]
