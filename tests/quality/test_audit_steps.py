"""The audits as recipe steps in a real build: drops with reasons, and the report in the run dir."""

from __future__ import annotations

import json
from pathlib import Path

from reasonledger.engine.build import build
from reasonledger.records.io import iter_valid

FIXTURES = Path(__file__).parent / "fixtures"


def test_decontaminate_near_dedup_and_audit_steps(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("REASONLEDGER_ALLOW_OUTSIDE_PATHS", "1")  # the fixtures are outside tmp_path
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"""
name: audit-steps
seed: 3
shard_rows: 4
sources:
  - type: file
    path: {FIXTURES / 'tasks.jsonl'}
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
