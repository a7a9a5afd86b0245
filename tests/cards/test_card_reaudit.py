"""`reaudit` re-runs the recorded verifiers and checks the manifest; tampering is reported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pytest
import pyarrow.parquet as pq
from typer.testing import CliRunner

from reasonledger.cards.diff import load_card
from reasonledger.cards.reaudit import reaudit, render_reaudit
from reasonledger.cards.release import write_release_card
from reasonledger.cli import app
from reasonledger.commands._common import run_faults
from reasonledger.records.model import Record
from reasonledger.verifiers import get_verifier

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


@pytest.mark.parametrize("fault", run_faults(), ids=lambda fault: fault.__name__)
def test_a_reaudit_stopped_by_a_set_up_fault_says_it_in_one_line(quickstart_run: Path, monkeypatch, fault) -> None:
    """A judge past the operator's call bound (or an environment not set up) is an error to mend, not a traceback."""
    def stopped(*args, **kwargs):
        raise fault("judge call limit reached: raise limits.judgment.max_calls")

    monkeypatch.setattr("reasonledger.cards.reaudit.reaudit", stopped)
    cli = CliRunner().invoke(app, ["reaudit", str(quickstart_run), "--card", str(quickstart_run / "card" / "card.json")])
    assert cli.exit_code == 1 and isinstance(cli.exception, SystemExit), cli.exception
    assert "error: judge call limit reached" in cli.output


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


def _damage(path: Path, how: str) -> None:
    if how == "garbage":
        path.write_bytes(b"this is not parquet any more\n" * 200)
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "pages":  # the footer still reads; the pages it points to do not
        data = bytearray(path.read_bytes())
        data[8: len(data) // 2] = bytes((b * 7 + 13) % 256 for b in data[8: len(data) // 2])
        path.write_bytes(bytes(data))
    else:
        path.unlink()


@pytest.mark.parametrize("how", ["garbage", "truncated", "pages", "missing"])
def test_a_damaged_shard_is_named_and_the_rest_is_still_checked(run_copy: Path, how: str) -> None:
    card = load_card(run_copy)
    shards = [run_copy / "data" / s["file"] for s in card["manifest"]["data"]["shards"]]
    intact_rows = sum(pq.ParquetFile(path).metadata.num_rows for path in shards[1:])

    def flip_verdict(rows: list[dict]) -> str:
        rows[0]["verdicts"][0]["passed"] = False
        rows[0]["verdicts"][0]["score"] = 0.0
        return rows[0]["id"]

    flipped = _rewrite(shards[1], flip_verdict)
    _damage(shards[0], how)
    result = reaudit(run_copy, card)  # no exception: the damaged shard is a finding
    assert not result["ok"]
    named = [f for f in result["findings"] if f["where"] == shards[0].name]
    if how == "missing":
        assert [f["detail"] for f in named] == ["missing: the card lists it, the data has no such file"]
    else:
        unreadable = [f for f in named if f["check"] == "shard"]
        assert len(unreadable) == 1 and "cannot be read as Parquet" in unreadable[0]["detail"]
        assert re.search(r"Parquet( after [\d,]+ rows)? \((ArrowInvalid|OSError): .+\); its (other )?records were not checked",
                         unreadable[0]["detail"]), unreadable[0]["detail"]  # the exception's kind and its message
        assert any("sha256" in f["detail"] for f in named)
    # the other shards were read and their verdicts re-run: the flipped one is still caught
    assert result["records"] == intact_rows and result["verdicts"]["rerun"] == intact_rows
    assert any(f["check"] == "verdict" and flipped in f["where"] for f in result["findings"])
    assert any(f["check"] == "record" and "readable records, the card says" in f["detail"] for f in result["findings"])

    cli = CliRunner().invoke(app, ["reaudit", str(run_copy), "--card", str(run_copy / "card" / "card.json")])
    assert cli.exit_code == 2, cli.output
    assert shards[0].name in cli.output and "Traceback" not in cli.output


def test_a_recorded_config_cannot_raise_the_operators_limits(tmp_path: Path) -> None:
    """A verdict made under a config that raised the math response limit is re-run under the
    operator's limit: the long response now fails, so the card's pass is a disagreement."""
    loose = {"max_response_chars": 50_000_000}
    limit = get_verifier("math").limits.max_response_chars
    long_response = "Let me think. " * (limit // 14 + 10) + "The answer is $\\boxed{4}$."
    assert len(long_response) > limit
    record = Record(kind="prompt_answer", task={
        "prompt": "What is 2 + 2?", "reference": "4", "domain": "math",
        "source": {"dataset": "hand/limits", "revision": "r1", "license": "MIT", "row_id": "0"},
        "verifier": {"name": "math", "config": loose}}, behaviour={"response": long_response})
    recorded = get_verifier("math", **loose).verify("4", long_response)
    assert recorded.passed  # the data's own config let it through
    run, recipe = constructed_run(tmp_path / "run", [record.with_verdict(recorded)])
    write_release_card(run, recipe)
    result = reaudit(run, json.loads((run / "card" / "card.json").read_text()))
    assert result["verdicts"]["config_clamped"] == 1 and result["verdicts"]["rerun"] == 1
    [finding] = [f for f in result["findings"] if f["check"] == "verdict" and "record" in f["where"]]
    assert "re-run says passed=False" in finding["detail"] and f"limit {limit:,}" in finding["detail"]
    assert "operator's limits" in render_reaudit(result)
