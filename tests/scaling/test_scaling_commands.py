"""`reasonledger scaling passk|fit|reuse` and the card section, end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.engine.rundir import write_marker
from reasonledger.records.parquet import write_parquet_shards
from reasonledger.scaling.card import scaling_section
from reasonledger.scaling.sigmoid import sigmoid
from tests.scaling.records_factory import rollout_set

runner = CliRunner()


def _curves_csv(path: Path) -> Path:
    rows = ["compute,reward,curve"]
    noise = np.random.default_rng(0).normal(0, 0.0005, 12)  # exact points would leave no noise to size intervals
    for name, a in (("base", 0.6), ("new", 0.75)):
        for c, e in zip(np.logspace(1, 5, 12), noise):
            rows.append(f"{c},{sigmoid(c, 0.1, a, 1.5, 1000.0) + e},{name}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_passk_json_on_imported_gsm8k_solutions(tmp_path: Path, shared_data: Path) -> None:
    imported = tmp_path / "gsm"
    result = runner.invoke(app, ["import", str(shared_data / "gsm8k" / "example_model_solutions.jsonl"),
                                 "--format", "gsm8k-solutions", "--out", str(imported)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["scaling", "passk", str(imported), "--k", "1,2,4", "--bootstrap", "200", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["problems"] == 1319 and report["verifiers"] == {"gsm8k_authors_grader": 1319 * 4}
    cells = report["table"]["openai/gsm8k"]
    assert cells["pass@1"]["value"] < cells["pass@2"]["value"] < cells["pass@4"]["value"]
    assert report["passk_budget"] is None


def test_passk_refuses_data_without_judged_rollouts_and_budgets_without_tokens(tmp_path: Path) -> None:
    write_parquet_shards([rollout_set("p", [True, False])], tmp_path / "d")
    result = runner.invoke(app, ["scaling", "passk", str(tmp_path / "d"), "--budgets", "100"])
    assert result.exit_code == 1 and "token count" in result.output
    result = runner.invoke(app, ["scaling", "passk", str(tmp_path / "d"), "--verifier", "math"])
    assert result.exit_code == 1 and "no rollout_set record with a verdict on every rollout" in result.output


def test_fit_two_curves_splits_the_gain_and_saves_it_for_the_card(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_parquet_shards([rollout_set(f"p{i}", [i % 2 == 0, True], rollout_meta=[{"tokens": 10 * i}, {"tokens": 5}])
                          for i in range(6)], run / "data")
    write_marker(run, "build")  # as `reasonledger build` marks its run directories
    result = runner.invoke(app, ["scaling", "fit", str(_curves_csv(tmp_path / "c.csv")), "--bootstrap", "50",
                                 "--save", str(run), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert abs(report["fits"]["new"]["params"]["A"] - 0.75) < 1e-3
    gain = report["gains"]["new"]
    assert gain["shares"]["ceiling"] > 0.9 * gain["gain"]
    section = scaling_section(run, n_boot=100)
    assert section["curves"] == report
    assert section["passk"]["table"]["overall"]["pass@2"]["value"] == 1.0
    assert section["passk_budget"]["mode"] == "truncation"
    assert section["reuse"]["unique_prompts"] == 6


def test_fit_reports_the_bad_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("compute,reward\n10,0.1\nlots,0.2\n")
    result = runner.invoke(app, ["scaling", "fit", str(bad)])
    assert result.exit_code == 1 and "bad.csv:3" in result.output


def test_reuse_command_and_no_section_for_a_prompt_set(tmp_path: Path) -> None:
    visits = [rollout_set(p, ok, meta={"step": s}) for s, (p, ok) in
              enumerate([("a", [True, False]), ("a", [True, True]), ("b", [False, True])])]
    write_parquet_shards(visits, tmp_path / "log")
    result = runner.invoke(app, ["scaling", "reuse", str(tmp_path / "log"), "--windows", "1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["visits"], report["unique_prompts"]) == (3, 2)
    assert report["active_band"]["windows"][0]["active_share"] == 2 / 3
    result = runner.invoke(app, ["scaling", "reuse", str(tmp_path / "log")])
    assert result.exit_code == 0 and "reuse_rate" in result.output
    assert scaling_section(tmp_path / "nothing") is None
