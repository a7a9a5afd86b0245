"""Fixtures for the card tests: one small quickstart build shared by the session, and runs built
from hand-made records (rollouts, verdicts from a grader that is not registered, model lineage)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from reasonledger.product import build
from reasonledger.engine.recipe import Recipe
from reasonledger.records.model import Record
from reasonledger.records.parquet import write_parquet_shards
from reasonledger.verifiers import get_verifier

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart.yaml"
SMALL = ["sources.0.size=60", "shard_rows=30"]


@pytest.fixture(scope="session")
def quickstart_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quickstart at a small size; tests that change it work on a copy (see `run_copy`)."""
    out = tmp_path_factory.mktemp("cards") / "quickstart"
    build(QUICKSTART, out, SMALL, workers=1, show_progress=False)
    return out


@pytest.fixture
def run_copy(quickstart_run: Path, tmp_path: Path) -> Path:
    target = tmp_path / "run"
    shutil.copytree(quickstart_run, target)
    return target


def rollout_record(i: int, answers: list[str], gold: str = "4", model: str = "tiny-llm") -> Record:
    """A rollout set judged by `exact` and by the dataset authors' own grader (not registered here)."""
    exact = get_verifier("exact")
    record = Record(kind="rollout_set", task={
        "prompt": f"What is {i} + 4 - {i}?", "reference": gold, "domain": "math",
        "source": {"dataset": "hand/sums", "revision": "r1", "license": "MIT", "row_id": str(i)},
        "verifier": {"name": "exact", "config": {}}},
        behaviour={"rollouts": [{"response": f"<answer>{a}</answer>", "meta": {"model": model}} for a in answers]},
        lineage={"events": [{"stage": "generate", "step": "rollouts", "model": model, "revision": "abc123",
                             "sampling": {"temperature": 0.7, "n": len(answers)}}]})
    for j, a in enumerate(answers):
        record = record.with_verdict(exact.verify(gold, f"<answer>{a}</answer>").model_copy(update={"target": f"rollout:{j}"}))
        record = record.with_verdict(exact.verdict(a == gold, target=f"rollout:{j}").model_copy(
            update={"verifier": "authors_grader", "version": "2021", "config_hash": "", "label_source": "human"}))
    return record


def constructed_run(root: Path, records: list[Record], card: dict[str, Any] | None = None) -> tuple[Path, Recipe]:
    """A run directory holding only `records` (no run log): what an import-then-card flow looks like."""
    write_parquet_shards(records, root / "data", shard_rows=2)
    recipe = Recipe.model_validate({"name": "hand-made", "sources": [{"type": "file", "path": "x.jsonl"}],
                                    "card": card or {}})
    return root, recipe
