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

ARTIFACTS = ("card.json", "card.md", "report.html", "README.md")


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
    assert (quickstart_run / "croissant.json").stat().st_size > 500  # at the release root, beside data/ and exports/


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
    assert meta["license"] == "apache-2.0" and "license_name" not in meta
    assert meta["size_categories"] == ["n<1K"]
    assert meta["task_categories"] == ["text-generation"] and meta["language"] == ["en"]
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert configs["default"]["data_files"] == [{"split": "train", "path": "data/*.parquet"}]
    assert configs["default"]["default"] is True
    exports = [p for p in sorted((quickstart_run / "exports").iterdir()) if _rows(p)]
    assert sorted(f["path"] for c in meta["configs"] if c["config_name"] != "default" for f in c["data_files"]) == \
        [f"exports/{p.name}" for p in exports]
    assert "| verification contract | programmatic |" in text


def test_croissant_validates_and_round_trips(quickstart_run: Path) -> None:
    mlc = pytest.importorskip("mlcroissant", reason="the cards extra (mlcroissant) is not installed")
    path = quickstart_run / "croissant.json"
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
    # one RecordSet per config, not per shard: the records read back are the released records
    readme = yaml.safe_load((quickstart_run / "card" / "README.md").read_text().split("---\n")[1])
    assert [rs["@id"] for rs in doc["recordSet"]] == [c["config_name"] for c in readme["configs"]]
    assert [fs["includes"] for fs in doc["distribution"] if fs["@type"] == "cr:FileSet"] == \
        [[f["path"] for f in c["data_files"]] for c in readme["configs"]]
    records = list(iter_valid(quickstart_run / "data"))
    rows = list(dataset.records("default"))
    assert [row["default/id"].decode() for row in rows] == [r.id for r in records]
    # nested provenance, lineage and verdicts come back as they were written
    first = rows[0]
    assert first["default/source"]["default/source/dataset"].decode() == records[0].task.source.dataset
    assert [(v["default/verdicts/verifier"].decode(), v["default/verdicts/passed"]) for v in first["default/verdicts"]] \
        == [(v.verifier, v.passed) for v in records[0].verdicts]
    assert [e["default/lineage_events/step"].decode() for e in first["default/lineage_events"]] == \
        [e.step for e in records[0].lineage.events]
    for record_set in doc["recordSet"][1:]:  # every export iterates all its rows
        config = next(c for c in readme["configs"] if c["config_name"] == record_set["@id"])
        assert len(list(dataset.records(record_set["@id"]))) == sum(_rows(quickstart_run / f["path"]) for f in config["data_files"])
    # every column is described, nested ones included
    fields = [f for rs in doc["recordSet"] for f in _walk(rs["field"])]
    assert fields and not [f["@id"] for f in fields if not f.get("description") or "not described" in f["description"]]
    assert {"default/verdicts/passed", "default/verdicts/evidence_json", "default/lineage_events/model",
            "default/source/license", "verl/extra_info/reference_json"} <= {f["@id"] for f in fields}
    stages = [a["prov:label"] for a in doc["prov:wasGeneratedBy"]]
    assert stages == ["read sources", *_recipe_steps(quickstart_run), "write release"]
    assert doc["rl:verificationContract"] == "programmatic"


def _walk(fields: list[dict]) -> list[dict]:
    return [x for f in fields for x in (f, *_walk(f.get("subField", [])))]


def _rows(path: Path) -> int:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    return len(path.read_text().splitlines())


def test_croissant_check_reports_what_mlcroissant_only_warns_about(quickstart_run: Path) -> None:
    doc = json.loads((quickstart_run / "croissant.json").read_text())
    bare = {k: v for k, v in doc.items() if k not in ("license", "datePublished")}
    problems = check_croissant(bare)
    assert any(p.startswith("license") for p in problems)
    assert any(p.startswith("datePublished") for p in problems)
