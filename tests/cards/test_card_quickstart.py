"""End to end: a small quickstart build writes every card artifact, each one checkable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from reasonledger.cards.croissant import CROISSANT_1_1, RAI_1_0, check_croissant
from reasonledger.cards.markdown import HEADINGS
from reasonledger.cards.overrides import HUMAN_FIELDS
from reasonledger.cards.release import load_recipe_of
from reasonledger.cards.schema import CardSchemaError, check_card
from reasonledger.records.io import iter_valid

ARTIFACTS = ("card.json", "card.md", "report.html", "croissant.json", "README.md")


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _recipe_steps(run: Path) -> list[str]:
    return [step.type for step in load_recipe_of(run).steps]


def _card(run: Path) -> dict:
    return json.loads((run / "card" / "card.json").read_text())


def test_build_writes_every_card_artifact(quickstart_run: Path) -> None:
    for name in ARTIFACTS:
        path = quickstart_run / "card" / name
        assert path.is_file() and path.stat().st_size > 500, name


def test_card_json_is_valid_against_the_shipped_schema(quickstart_run: Path) -> None:
    pytest.importorskip("jsonschema", reason="the cards extra (jsonschema) is not installed")
    card = _card(quickstart_run)
    assert check_card(card) is True
    broken = {**card, "verification": {**card["verification"], "contract": "vibes"}}
    with pytest.raises(CardSchemaError, match="verification/contract"):
        check_card(broken)


def test_card_is_derived_from_data_and_run_log(quickstart_run: Path) -> None:
    card = _card(quickstart_run)
    records = list(iter_valid(quickstart_run / "data"))
    assert card["records"] == len(records) == card["manifest"]["data"]["rows"]
    f = card["funnel"]
    assert f["read"] - f["quarantined"] - f["rejected"] == f["released"] == len(records)
    assert sum(f["dropped_by_reason"].values()) == f["rejected"]
    assert [s["step"] for s in f["steps"]] == _recipe_steps(quickstart_run)
    assert card["released"]["prompts"] and card["released"]["answers"] and card["released"]["verifier"]
    assert not card["released"]["rollouts"] and not card["released"]["traces"]
    v = card["verification"]
    assert (v["contract"], v["granularity"]) == ("programmatic", "outcome")
    assert v["training_use"] == ["rl_with_verifiable_rewards"]
    assert {s["dataset"] for s in card["recipe"]["prompt_sources"]} == {r.task.source.dataset for r in records}
    named = {r.task.verifier.name for r in records}
    assert {x["id"] for x in card["recipe"]["verifiers"]} == named == {v.verifier for r in records for v in r.verdicts}
    assert card["recipe"]["generator"] == "not_applicable"  # a prompt set: nothing was generated
    assert card["scaling"]["status"] == "not_applicable"  # no rollouts to score, no saved curves
    assert card["dedup"]["exact"]["status"] == "run"
    assert card["dedup"]["exact"]["dropped"] == f["dropped_by_reason"].get("duplicate", 0)
    assert card["contamination"]["status"] == "not_run"
    assert {"contamination.benchmarks", "dedup.near.method", "pass_rate.band"} <= set(card["missing"])
    assert card["motivation"].startswith("A small, fully offline")  # from the recipe's card: section
    assert set(HUMAN_FIELDS) - {"motivation"} <= set(card["missing"])
    assert {c["id"] for c in card["verifier_cards"]} == named
    assert all(x["config"] != "unknown" for x in card["recipe"]["verifiers"])  # recovered from the tasks
    assert all(c["available"] and c["native_signal"] != "unknown" for c in card["verifier_cards"])


def test_card_md_has_the_atlas_headings_in_order(quickstart_run: Path) -> None:
    text = (quickstart_run / "card" / "card.md").read_text()
    positions = [text.index(f"## {h}\n") for h in HEADINGS]
    assert positions == sorted(positions)
    assert "- [ ] contamination check: not_run" in text


def test_hub_readme_has_yaml_metadata_and_the_key_fields(quickstart_run: Path) -> None:
    text = (quickstart_run / "card" / "README.md").read_text()
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["license"] == "apache-2.0"
    assert meta["size_categories"] == ["n<1K"]
    assert meta["configs"][0]["data_files"][0]["path"] == "data/*.parquet"
    assert "| verification contract | programmatic |" in text


def test_croissant_validates_and_round_trips(quickstart_run: Path) -> None:
    mlc = pytest.importorskip("mlcroissant", reason="the cards extra (mlcroissant) is not installed")
    path = quickstart_run / "card" / "croissant.json"
    doc = json.loads(path.read_text())
    assert check_croissant(doc) == []
    dataset = mlc.Dataset(str(path))  # raises ValidationError on any error
    assert not dataset.metadata.ctx.issues.errors
    back = dataset.metadata.to_json()
    assert set(back["conformsTo"]) == {CROISSANT_1_1, RAI_1_0}
    assert back["license"] == doc["license"] == "https://spdx.org/licenses/Apache-2.0.html"
    assert back["name"] == doc["name"]
    card = _card(quickstart_run)
    tools = sorted({f"{v['id']}@{v['version']}" for v in card["recipe"]["verifiers"]})
    assert _as_list(back["rai:machineAnnotationTools"]) == doc["rai:machineAnnotationTools"] == tools
    # the records read back through Croissant are the released records, shard by shard
    ids = []
    for record_set in doc["recordSet"]:
        name = record_set["@id"]
        ids += [row[f"{name}/id"].decode() for row in dataset.records(name)]
    assert ids == [r.id for r in iter_valid(quickstart_run / "data")]
    stages = [a["prov:label"] for a in doc["prov:wasGeneratedBy"]]
    assert stages == ["read sources", *_recipe_steps(quickstart_run), "write release"]
    assert doc["rl:verificationContract"] == "programmatic"


def test_croissant_check_reports_what_mlcroissant_only_warns_about(quickstart_run: Path) -> None:
    doc = json.loads((quickstart_run / "card" / "croissant.json").read_text())
    bare = {k: v for k, v in doc.items() if k not in ("license", "datePublished")}
    problems = check_croissant(bare)
    assert any(p.startswith("license") for p in problems)
    assert any(p.startswith("datePublished") for p in problems)
