"""A build that decontaminates and near-dedups in its own steps has a card that says so: which
benchmark at which revision, by which method, and how many records each check dropped."""

from __future__ import annotations

import json

import pytest

from reasonledger.cards.schema import check_card
from reasonledger.engine.accounting import LossError
from reasonledger.product import build


def test_the_build_steps_checks_reach_the_card(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("REASONLEDGER_ALLOW_OUTSIDE_PATHS", "1")  # the shared data is outside tmp_path
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"""
name: processbench-vs-gsm8k
seed: 1
shard_rows: 100
sources:
  - type: file
    path: {shared_data / 'processbench' / 'gsm8k.json'}
    format: processbench
steps:
  - type: decontaminate
    against: ["gsm8k:{shared_data / 'gsm8k' / 'test.jsonl'}"]
    semantic: false
  - type: near_dedup
    threshold: 0.9
allow_loss: {{Qwen/ProcessBench: 1.0}}
""")
    run = tmp_path / "run"
    # every problem is a GSM8K test problem: nothing is released, which fails the build, after the card is written
    with pytest.raises(LossError, match="the build released 0 records"):
        build(recipe, run, workers=1, show_progress=False)
    card = json.loads((run / "card" / "card.json").read_text())
    assert check_card(card)
    dropped = card["funnel"]["dropped_by_reason"]
    contamination = card["contamination"]
    # ProcessBench's gsm8k split is made of GSM8K test problems
    assert contamination["status"] == "run" and contamination["flagged"] == dropped["contaminated"] >= 350
    (bench,) = contamination["benchmarks"]
    assert bench["name"] == "openai/gsm8k:test" and bench["flagged"] == dropped["contaminated"]
    assert bench["revision"].startswith("3101c7d sha256:") and bench["method"].startswith("8-gram containment")
    assert contamination["records_checked"] == 400
    near = card["dedup"]["near"]
    assert near["status"] == "run" and near["threshold"] == 0.9 and near["flagged"] == dropped.get("near_duplicate", 0)
    assert not {"contamination.method", "contamination.benchmarks", "dedup.near.method"} & set(card["missing"])
    assert "contamination check: run: openai/gsm8k:test@3101c7d" in (run / "card" / "card.md").read_text()
    (source,) = card["funnel"]["by_source"]["sources"]
    assert (source["read"], source["released"], source["status"]) == (400, 0, "allowed")
    assert card["funnel"]["by_source"]["allowed_losses"][0]["loss"] == 1.0
