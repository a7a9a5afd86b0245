"""An audit/audit.json in the run is folded into the card; without it the audit fields say not run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasonledger.cards.audit import AuditError
from reasonledger.cards.release import build_card, load_recipe_of

# the shape `reasonledger audit` documents in quality/audit.py
AUDIT = {
    "config": {"against": ["gsm8k"]},
    "records": 71,
    "contamination": {
        "method": "ngram containment", "records_checked": 71, "flagged": 2, "by_benchmark": {"gsm8k": 2, "math500": 0},
        "benchmarks": {"gsm8k": {"name": "gsm8k", "spec": "gsm8k/test.jsonl", "revision": "3101c7d", "items": 1319, "flagged": 2},
                       "math500": {"name": "math500", "spec": "math500.jsonl", "revision": "hf@main", "items": 500,
                                   "flagged": 0}},
        "flagged_ids": ["a", "b"], "hits": []},
    "near_duplicates": {"method": "MinHash LSH", "threshold": 0.8, "flagged": 3, "clusters": 2, "pairs": []},
    "exact_duplicates": {"method": "hash of the normalised prompt", "groups": 0, "flagged": 0, "examples": []},
    "difficulty": {"applicable": True, "band": {"low": 0.1, "high": 0.9, "count": 40, "share": 0.6},
                   "conditioning": {"policy": {"qwen2.5-0.5b": 40}, "n": {"8": 40}, "verifier": "math@1.0.0"}},
    "lineage_completeness": {"fields": ["source.revision"], "flagged": 0},
    "brand_new_section": {"anything": True},
}


def _write(run: Path, doc: object) -> None:
    (run / "audit").mkdir(exist_ok=True)
    (run / "audit" / "audit.json").write_text(json.dumps(doc) if not isinstance(doc, str) else doc)


def test_audit_results_are_folded_into_the_card(run_copy: Path) -> None:
    _write(run_copy, AUDIT)
    card = build_card(run_copy, load_recipe_of(run_copy))
    c = card["contamination"]
    assert c["status"] == "run"
    assert c["benchmarks"] == [
        {"name": "gsm8k", "revision": "3101c7d", "method": "ngram containment", "flagged": 2},
        {"name": "math500", "revision": "hf@main", "method": "ngram containment", "flagged": 0}]
    assert (c["flagged"], c["records_checked"]) == (2, 71)
    assert card["dedup"]["near"]["status"] == "run" and card["dedup"]["near"]["flagged"] == 3
    assert card["pass_rate"]["status"] == "audited" and card["pass_rate"]["band"] == [0.1, 0.9]
    assert card["pass_rate"]["conditioning"]["verifier"] == "math@1.0.0"
    assert card["audit"]["other_sections"] == ["brand_new_section"]
    assert "length_trap" in card["audit"]["not_run"]
    assert not [m for m in card["missing"] if m.startswith(("contamination", "dedup.near", "pass_rate"))]


def test_without_an_audit_the_fields_say_not_run(run_copy: Path) -> None:
    card = build_card(run_copy, load_recipe_of(run_copy))
    assert card["audit"]["status"] == "not_run"
    assert card["contamination"]["status"] == "not_run"
    assert "contamination.benchmarks" in card["missing"]


def test_audit_benchmarks_given_as_a_list_are_read_too(run_copy: Path) -> None:
    _write(run_copy, {"contamination": {"method": "exact", "benchmarks": [{"benchmark": "gsm8k", "hits": [1, 2, 3]}]}})
    card = build_card(run_copy, load_recipe_of(run_copy))
    assert card["contamination"]["benchmarks"] == [{"name": "gsm8k", "revision": "unknown", "method": "exact", "flagged": 3}]
    assert "contamination.benchmarks[gsm8k].revision" in card["missing"]


def test_an_audit_that_did_not_check_contamination_leaves_it_unknown(run_copy: Path) -> None:
    _write(run_copy, {"contamination": {"method": "not run", "reason": "no benchmark given (--against)", "flagged": 0},
                      "difficulty": {"applicable": False, "reason": "no record carries verdicts"}})
    card = build_card(run_copy, load_recipe_of(run_copy))
    assert card["contamination"]["status"] == "not_run" and "--against" in card["contamination"]["reason"]
    assert "contamination.benchmarks" in card["missing"]
    assert card["pass_rate"]["status"] == "not_measured"


def test_a_broken_audit_file_is_a_clear_error(run_copy: Path) -> None:
    _write(run_copy, "{not json")
    with pytest.raises(AuditError, match="audit.json: not valid JSON"):
        build_card(run_copy, load_recipe_of(run_copy))


def test_the_audit_command_output_folds_in(run_copy: Path) -> None:
    audit = pytest.importorskip("reasonledger.quality.audit", reason="the quality audit is not available here")
    from reasonledger.records.io import iter_valid

    doc, _ = audit.audit_records(iter_valid(run_copy / "data"), audit.AuditConfig(embedding_map=False))
    _write(run_copy, json.loads(json.dumps(doc, default=str)))
    card = build_card(run_copy, load_recipe_of(run_copy))
    assert card["audit"]["not_run"] == []
    assert card["dedup"]["near"]["status"] == "run" and isinstance(card["dedup"]["near"]["flagged"], int)
    assert card["contamination"]["status"] == "not_run"  # no benchmark was given to check against
    assert not [m for m in card["missing"] if m.startswith("dedup")]
