"""An audit/audit.json in the run is folded into the card; without it the audit fields say not run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasonledger.cards.audit import AuditError
from reasonledger.cards.release import build_card, load_recipe_of

AUDIT = {
    "contamination": {"method": "13-gram overlap", "benchmarks": [
        {"name": "gsm8k", "revision": "3101c7d", "flagged": [1, 2]},
        {"name": "math500", "revision": "hf@main", "method": "embedding cosine>0.9", "flagged": 0}]},
    "near_duplicates": {"method": "minhash", "threshold": 0.8, "clusters": 3},
    "difficulty": {"band": [0.1, 0.9], "conditioning": {"policy": "qwen2.5-0.5b", "n": 8}},
    "lineage_completeness": {"complete": 1.0},
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
        {"name": "gsm8k", "revision": "3101c7d", "method": "13-gram overlap", "flagged": 2},
        {"name": "math500", "revision": "hf@main", "method": "embedding cosine>0.9", "flagged": 0}]
    assert c["flagged"] == 2
    assert card["dedup"]["near"]["status"] == "run" and card["dedup"]["near"]["flagged"] == 3
    assert card["pass_rate"]["status"] == "audited" and card["pass_rate"]["band"] == [0.1, 0.9]
    assert card["audit"]["other_sections"] == ["brand_new_section"]
    assert "exact_duplicates" in card["audit"]["not_run"]
    assert not [m for m in card["missing"] if m.startswith(("contamination", "dedup.near", "pass_rate"))]


def test_without_an_audit_the_fields_say_not_run(run_copy: Path) -> None:
    card = build_card(run_copy, load_recipe_of(run_copy))
    assert card["audit"]["status"] == "not_run"
    assert card["contamination"]["status"] == "not_run"
    assert "contamination.benchmarks" in card["missing"]


def test_audit_benchmarks_keyed_by_name_are_read_too(run_copy: Path) -> None:
    _write(run_copy, {"contamination": {"method": "exact", "benchmarks": {"gsm8k": {"revision": "v1", "hits": 5}}}})
    card = build_card(run_copy, load_recipe_of(run_copy))
    assert card["contamination"]["benchmarks"] == [{"name": "gsm8k", "revision": "v1", "method": "exact", "flagged": 5}]


def test_a_broken_audit_file_is_a_clear_error(run_copy: Path) -> None:
    _write(run_copy, "{not json")
    with pytest.raises(AuditError, match="audit.json: not valid JSON"):
        build_card(run_copy, load_recipe_of(run_copy))
