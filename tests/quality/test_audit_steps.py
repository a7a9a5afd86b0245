"""The audits as recipe steps in a real build: drops with reasons, and the report in the run dir."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from reasonledger.product import build
from reasonledger.engine.step import StepContext
from reasonledger.quality.steps import NearDedup
from reasonledger.records.io import iter_valid
from reasonledger.records.model import Record

FIXTURES = Path(__file__).parent / "fixtures"


def test_decontaminate_near_dedup_and_audit_steps(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("REASONLEDGER_ALLOW_OUTSIDE_PATHS", "1")  # the fixtures are outside tmp_path
    shutil.copy(FIXTURES / "tasks.jsonl", tmp_path / "tasks.jsonl")  # a recipe reads files in its own folder
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"""
name: audit-steps
seed: 3
shard_rows: 4
sources:
  - type: file
    path: tasks.jsonl
    format: jsonl
    options: {{prompt_field: question, answer_field: answer, verifier: exact, dataset: fixture-tasks}}
steps:
  - type: decontaminate
    against: ["jsonl:{FIXTURES / 'benchmark.jsonl'}?prompt_field=question&name=fixture-bench"]
    semantic: false
  - type: near_dedup
    threshold: 0.7
  - type: audit
    embedding_map: false
    contamination: {{semantic: false}}
""")
    run = tmp_path / "run"
    result = build(recipe, run, workers=1, show_progress=False)
    assert result.records == 4
    reasons = sorted(r.meta["rejection"]["reason"] for r in iter_valid(run / "rejected"))
    assert reasons == ["contaminated", "near_duplicate"]
    kept = [r.task.prompt for r in iter_valid(run)]
    assert not any("baker" in p for p in kept) and sum("train carries" in p for p in kept) == 1
    report = json.loads((run / "audit" / "audit.json").read_text())
    assert report["records"] == 4 and report["contamination"]["method"] == "not run"
    assert (run / "audit" / "audit.html").is_file()


def test_near_dedup_drops_every_copy_and_names_whom_it_repeats(tmp_path: Path) -> None:
    train = "A train carries 240 passengers in 8 equal cars. At the first stop a quarter of the people get off."
    prompts = [train, "Mia saves 7 dollars a week for 9 weeks.", train.upper(), train + " How many remain on the whole train?",
               train, ""]
    records = [Record(kind="prompt_answer", task={"prompt": p, "reference": str(i), "source": {"dataset": "d", "row_id": str(i)}})
               for i, p in enumerate(prompts)]
    ctx = StepContext("stage-00", 0, str(tmp_path), "near_dedup")
    kept = list(NearDedup(threshold=0.65).process(iter(records), ctx))
    assert [r.id for r in kept] == [records[0].id, records[1].id, records[5].id]
    details = {r.record.id: r.detail for r in ctx.rejected}
    first = records[0].id
    assert details[records[2].id] == details[records[4].id] == f"cluster of {first}; Jaccard 1.000 with {first}"
    assert details[records[3].id] == f"cluster of {first}; Jaccard 0.667 with {first}"  # 18 of 27 shingles
    assert ctx.stats["near_dedup"].counts["verified_pairs"] == 3 and ctx.stats["near_dedup"].dropped["near_duplicate"] == 3
