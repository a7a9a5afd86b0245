"""`reaudit` re-runs the recorded verifiers and checks the manifest; tampering is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from reasonledger.cards.diff import load_card
from reasonledger.cards.reaudit import reaudit
from reasonledger.cards.release import write_release_card
from reasonledger.cli import app

from .conftest import constructed_run, rollout_record


def _rewrite(path: Path, edit) -> str:
    rows = pq.read_table(path).to_pylist()
    record_id = edit(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(path)), path)
    return record_id


def test_a_clean_release_matches_its_card(quickstart_run: Path) -> None:
    card = load_card(quickstart_run)
    result = reaudit(quickstart_run, card)
    assert result["ok"], result["findings"]
    assert result["records"] == card["records"]
    assert result["verdicts"]["rerun"] == result["verdicts"]["agree"] == card["records"]  # one gold check each
    assert result["shards_checked"] == len(card["manifest"]["data"]["shards"]) > 1


def test_one_tampered_verdict_and_one_tampered_file_are_reported(run_copy: Path) -> None:
    card = load_card(run_copy)
    shards = [run_copy / "data" / s["file"] for s in card["manifest"]["data"]["shards"]]

    def flip_verdict(rows: list[dict]) -> str:
        rows[0]["verdicts"][0]["passed"] = False
        rows[0]["verdicts"][0]["score"] = 0.0
        return rows[0]["id"]

    def drop_last_row(rows: list[dict]) -> str:
        return rows.pop()["id"]

    flipped = _rewrite(shards[0], flip_verdict)
    _rewrite(shards[1], drop_last_row)
    result = reaudit(run_copy, card)
    assert not result["ok"]
    findings = result["findings"]
    verdicts = [f for f in findings if f["check"] == "verdict" and "record" in f["where"]]
    assert len(verdicts) == 1 and flipped in verdicts[0]["where"] and "card says passed=False" in verdicts[0]["detail"]
    assert {f["where"] for f in findings if f["check"] == "manifest" and "sha256" in f["detail"]} == {
        shards[0].name, shards[1].name}
    assert any(f["where"] == shards[1].name and "rows, the card says" in f["detail"] for f in findings)
    assert any(f["check"] == "record" and "readable records, the card says" in f["detail"] for f in findings)
    assert result["verdicts"]["disagree"] == 1

    cli = CliRunner().invoke(app, ["reaudit", str(run_copy), "--card", str(run_copy / "card" / "card.json")])
    assert cli.exit_code == 2 and "FAILED" in cli.output


def test_a_record_whose_content_no_longer_matches_its_id_is_reported(run_copy: Path) -> None:
    card = load_card(run_copy)
    shard = run_copy / "data" / card["manifest"]["data"]["shards"][0]["file"]

    def edit_prompt(rows: list[dict]) -> str:
        rows[1]["prompt"] = rows[1]["prompt"] + " (edited)"
        return rows[1]["id"]

    record_id = _rewrite(shard, edit_prompt)
    findings = reaudit(run_copy, card)["findings"]
    assert any(f["check"] == "record" and record_id in f["where"] and "does not match its id" in f["detail"]
               for f in findings)


def test_verdicts_of_unregistered_graders_are_not_rerunnable_not_disagreements(tmp_path: Path) -> None:
    run, recipe = constructed_run(tmp_path / "run", [rollout_record(i, ["4", "9"]) for i in range(3)])
    write_release_card(run, recipe)
    result = reaudit(run, json.loads((run / "card" / "card.json").read_text()))
    assert result["ok"], result["findings"]
    assert result["verdicts"]["rerun"] == result["verdicts"]["agree"] == 6
    assert result["verdicts"]["not_rerunnable"] == {"verifier not registered here": 6}
