"""The quickstart's release card cites the atlas, and exports back as a valid atlas entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from reasonledger.atlas.load import schema, validate
from reasonledger.cli import app
from reasonledger.engine.rundir import RunDir
from reasonledger.product import build
from tests.atlas.conftest import level_of

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["sources.0.size=40", "shard_rows=20"]


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("atlas") / "quickstart"
    build(ROOT / "examples" / "quickstart.yaml", out, SMALL, workers=1, show_progress=False)
    return out


def test_quickstart_card_cites_programmatic_prompt_answer_entries(quickstart: Path,
                                                                  raw_entries: list[dict[str, Any]]) -> None:
    card = json.loads((RunDir(quickstart).card / "card.json").read_text())
    expected = {e["id"] for e in raw_entries if "programmatic" in e["verification_contract"]
                and "answer_level" in e["supervision_granularity"] and level_of(e) >= 4}
    cited = card["literature"]["sections"]["verification"]["entries"]
    assert expected and expected <= {e["id"] for e in cited}
    assert all(e["level"][:2] in ("L4", "L5") for e in cited)
    assert card["literature"]["revision"] == "0bc3872"
    schema_ = json.loads((ROOT / "src" / "reasonledger" / "cards" / "card.schema.json").read_text())
    jsonschema.validate(card, schema_)
    md = (RunDir(quickstart).card / "card.md").read_text()
    report = (RunDir(quickstart).card / "report.html").read_text()
    some = sorted(expected)[0]
    assert "What the literature knows" in md and some in md
    assert 'id="literature"' in report and some in report


def test_card_export_atlas_validates(quickstart: Path, tmp_path: Path) -> None:
    out = tmp_path / "entry.yaml"
    result = CliRunner().invoke(app, ["card", "export", str(quickstart), "--atlas", "--out", str(out)])
    assert result.exit_code == 0, result.output
    entries = yaml.safe_load(out.read_text())
    assert validate(entries, schema(), str(out)) == []
    shipped = schema()
    jsonschema.validate(entries[0], {k: v for k, v in shipped.items() if k != "enums"})
    entry = entries[0]
    assert entry["verification_contract"] == ["programmatic"] and entry["supervision_granularity"] == ["answer_level"]
    assert entry["curation_level"] == "L0_seeded" and entry["recipe_metadata"]["base_model"] == "unknown"
    assert "rlvr" in entry["training_use"] and "reward_verifier_layer" in entry["construction_layer"]


def test_card_export_needs_a_form_and_a_card(quickstart: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["card", "export", str(quickstart)])
    assert result.exit_code == 1 and "--atlas" in result.output
    result = runner.invoke(app, ["card", "export", str(tmp_path), "--atlas"])
    assert result.exit_code == 1 and "no card.json" in result.output
