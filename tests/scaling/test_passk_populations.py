"""pass@k tables that do not mix populations: problems counted per k, announced budgets grouped by problem."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.records.jsonl import write_jsonl
from reasonledger.scaling.passk import collect_outcomes, passk_report, problems_label

from .records_factory import rollout_set


def test_columns_over_different_problems_are_counted_and_noted() -> None:
    # 6 problems with one rollout, solved; 4 with eight rollouts, one passed
    records = [rollout_set(f"a{i}", [True]) for i in range(6)] + [rollout_set(f"b{i}", [True] + [False] * 7)
                                                                   for i in range(4)]
    report = passk_report(collect_outcomes(records), ks=[1, 2], n_boot=200)
    overall = report["table"]["overall"]
    assert overall["pass@1"]["value"] == pytest.approx(0.65) and overall["pass@1"]["problems"] == 10
    assert overall["pass@2"]["value"] == pytest.approx(0.25) and overall["pass@2"]["problems"] == 4
    assert problems_label(overall) == "10 / 4"
    assert any("overall: columns count different problems (pass@1 over 10, pass@2 over 4)" in n for n in report["notes"])


def test_same_problems_in_every_column_need_no_note() -> None:
    records = [rollout_set(f"b{i}", [True, False, False, True]) for i in range(4)]
    report = passk_report(collect_outcomes(records), n_boot=100)
    assert problems_label(report["table"]["overall"]) == "4" and report["notes"] == []


def test_announced_budgets_count_each_problem_once() -> None:
    records = [rollout_set("Think in 512 tokens: p", [False, False], row_id="7", meta={"budget": 512}),
               rollout_set("Think in 2048 tokens: p", [True, False], row_id="7", meta={"budget": 2048}),
               rollout_set("Think in 2048 tokens: q", [True, True], row_id="8", meta={"budget": 2048})]
    report = passk_report(collect_outcomes(records), ks=[1], n_boot=100)
    assert report["problems"] == 2 and report["table"]["overall"]["pass@1"]["problems"] == 2
    assert report["table"]["overall"]["pass@1"]["value"] == pytest.approx((1 / 4 + 2 / 2) / 2)
    assert any("pooled per problem (3 records, 2 problems)" in n for n in report["notes"])


def test_the_command_prints_problems_per_k(tmp_path) -> None:
    records = [rollout_set(f"a{i}", [True]) for i in range(6)] + [rollout_set(f"b{i}", [True] + [False] * 7)
                                                                   for i in range(4)]
    path = tmp_path / "r.jsonl"
    write_jsonl(records, path)
    result = CliRunner().invoke(app, ["scaling", "passk", str(path), "--k", "1,2", "--bootstrap", "100"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "10 / 4" in result.output and "columns count different problems" in result.output
    as_json = CliRunner().invoke(app, ["scaling", "passk", str(path), "--k", "1,2", "--json"])
    assert json.loads(as_json.stdout)["table"]["overall"]["pass@2"]["problems"] == 4
