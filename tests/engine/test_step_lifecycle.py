"""Steps are set up once per worker process, not once per shard: a 4-shard build opens one verifier
pool per verifying step and one generator client per generating step in each worker process that
ran shards (the run log counts what each step's setup built, in `set_up`), locally and on Ray."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reasonledger.engine.runlog import RunLog
from reasonledger.product import build

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHARDS = 4  # 8 tasks, 2 per shard


def _recipe(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "data", tmp_path / "data")
    recipe = tmp_path / "lifecycle.yaml"
    recipe.write_text(
        "name: lifecycle\nseed: 7\nshard_rows: 2\n"
        "sources:\n  - type: file\n    path: data/replay_tasks.jsonl\n    format: jsonl\n"
        "    options: {prompt_field: question, answer_field: answer, verifier: math}\n"
        "steps:\n  - type: gold_check\n  - type: rollouts\n    n: 4\n"
        "    template: \"{prompt}\\nThink step by step, then give the final answer in <answer></answer> tags.\"\n"
        "    generator: {backend: replay, replay: [data/replay_rollouts.jsonl], model: hand-written-example}\n"
        "  - type: verify\n")
    return recipe


def _built(run: Path) -> dict[str, dict[str, int]]:
    """What each step's setup built, summed over the stage's shards: {label: counts}; never in the
    step's counters, which the card reads and which must not depend on the worker count."""
    (stage,) = [e for e in RunLog(run).events() if e["event"] == "stage"]
    assert stage["records_in"] == 8
    assert not any({"verifier_pools", "generator_clients"} & set(s["counters"]) for s in stage["steps"])
    return {s["label"]: s["set_up"] for s in stage["steps"]}


def _check(built: dict[str, dict[str, int]], workers: range) -> None:
    assert set(built) == {"00-gold_check", "01-rollouts", "02-verify"}
    pools, clients = built["00-gold_check"]["verifier_pools"], built["01-rollouts"]["generator_clients"]
    assert pools in workers and clients == pools  # one per worker process that ran shards, never one per shard
    assert built["02-verify"] == {"verifier_pools": pools}
    assert "verifier_pools" not in built["01-rollouts"]


@pytest.mark.parametrize("workers", [1, 2])
def test_one_pool_and_one_client_per_step_per_local_worker(tmp_path: Path, workers: int) -> None:
    result = build(_recipe(tmp_path), tmp_path / "run", workers=workers, show_progress=False)
    assert result.records > 0
    _check(_built(tmp_path / "run"), range(1, workers + 1))
    assert workers < SHARDS


def test_one_pool_and_one_client_per_step_per_ray_worker(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the Ray executor needs the scaling extra")
    out = tmp_path / "run"
    build(_recipe(tmp_path), out, executor="ray", workers=2, show_progress=False, shared_paths=[out])
    _check(_built(out), range(1, 3))
