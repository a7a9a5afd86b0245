"""Steps are set up once per worker process, not once per shard: a 4-shard build opens one verifier
pool per verifying step and one generator client per generating step in each worker process that
ran shards (the run log counts what each step's setup built, in `set_up`), locally and on Ray; for
gold_check, rollouts and verify with the math verifier, process_labels (a pool and a client), and
gold_check with the code verifier (whose pool starts sandboxes)."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reasonledger.engine.runlog import RunLog
from reasonledger.generation.openai_server import OpenAIServer, ServerThread
from reasonledger.product import build
from tests.construct.arith_policy import answer, continue_solution, problem, solution

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


def _built(run: Path, records: int = 8) -> dict[str, dict[str, int]]:
    """What each step's setup built, summed over the stage's shards: {label: counts}; never in the
    step's counters, which the card reads and which must not depend on the worker count."""
    (stage,) = [e for e in RunLog(run).events() if e["event"] == "stage"]
    assert stage["records_in"] == records
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


@pytest.fixture
def policy() -> Iterator[str]:
    """An OpenAI-protocol server whose continuations depend on the prefix (tests/construct/arith_policy)."""
    with ServerThread(OpenAIServer(continue_solution, max_requests=20_000)) as server:
        yield server.url


def _labels_recipe(tmp_path: Path, endpoint: str) -> Path:
    """Four rollout sets, one per shard: verify, then process_labels (a pool and a client of its own)."""
    rows = []
    for start in range(SHARDS):
        ops = [("Add", start + 2), ("Multiply by", 3)]
        rows.append({"kind": "rollout_set", "task": {
            "prompt": problem(start, ops), "reference": str(answer(start, ops)), "source": {"dataset": "tests/arith"},
            "verifier": {"name": "exact"}},
            "behaviour": {"rollouts": [{"response": solution(start, ops)}, {"response": solution(start, ops, {0: 9})}]}})
    (tmp_path / "sets.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    recipe = tmp_path / "labels.yaml"
    recipe.write_text(
        "name: labels\nseed: 7\nshard_rows: 1\nsources:\n  - type: file\n    path: sets.jsonl\n    format: records\n"
        f"steps:\n  - type: verify\n  - type: process_labels\n    k: 2\n"
        f"    generator: {{endpoint: '{endpoint}', model: arith, backoff: 0.01}}\n")
    return recipe


def _check_labels(built: dict[str, dict[str, int]], workers: range) -> None:
    pools = built["00-verify"]["verifier_pools"]
    assert pools in workers
    assert built["01-process_labels"] == {"verifier_pools": pools, "generator_clients": pools}


@pytest.mark.parametrize("workers", [1, 2])
def test_process_labels_keeps_one_pool_and_one_client_per_local_worker(tmp_path: Path, policy: str, workers: int) -> None:
    build(_labels_recipe(tmp_path, policy), tmp_path / "run", workers=workers, show_progress=False)
    _check_labels(_built(tmp_path / "run", SHARDS), range(1, workers + 1))


def test_process_labels_keeps_one_pool_and_one_client_per_ray_worker(tmp_path: Path, policy: str) -> None:
    pytest.importorskip("ray", reason="the Ray executor needs the scaling extra")
    out = tmp_path / "run"
    build(_labels_recipe(tmp_path, policy), out, executor="ray", workers=2, show_progress=False, shared_paths=[out])
    _check_labels(_built(out, SHARDS), range(1, 3))


def _code_recipe(tmp_path: Path, shared_data: Path) -> Path:
    """The first eight HumanEval tasks with their canonical solutions, checked in the code sandbox."""
    with gzip.open(shared_data / "humaneval" / "HumanEval.jsonl.gz", "rt", encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(2 * SHARDS)]
    (tmp_path / "humaneval.jsonl").write_text("".join(lines))
    recipe = tmp_path / "code.yaml"
    recipe.write_text("name: code\nseed: 7\nshard_rows: 2\nsources:\n  - type: file\n    path: humaneval.jsonl\n"
                      "    format: humaneval\n    options: {attach_solutions: true}\nsteps:\n  - type: gold_check\n")
    return recipe


def _code_sandbox() -> None:
    from tests.verifiers.code.sandbox import needs_sandbox

    if needs_sandbox.args[0]:
        pytest.skip(needs_sandbox.kwargs["reason"])


@pytest.mark.parametrize("workers", [1, 2])
def test_the_code_verifier_pool_is_started_once_per_local_worker(tmp_path: Path, shared_data: Path, workers: int) -> None:
    _code_sandbox()
    result = build(_code_recipe(tmp_path, shared_data), tmp_path / "run", workers=workers, show_progress=False)
    assert result.records == 2 * SHARDS  # every canonical solution passes its tests
    assert _built(tmp_path / "run")["00-gold_check"]["verifier_pools"] in range(1, workers + 1)


def test_the_code_verifier_pool_is_started_once_per_ray_worker(tmp_path: Path, shared_data: Path) -> None:
    pytest.importorskip("ray", reason="the Ray executor needs the scaling extra")
    _code_sandbox()
    out = tmp_path / "run"
    result = build(_code_recipe(tmp_path, shared_data), out, executor="ray", workers=2, show_progress=False,
                   shared_paths=[out])
    assert result.records == 2 * SHARDS
    assert _built(out)["00-gold_check"]["verifier_pools"] in range(1, 3)
