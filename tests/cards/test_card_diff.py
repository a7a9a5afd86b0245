"""`card diff` on constructed pairs of runs: which knobs changed, what they move, what blocks credit."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reasonledger.cards.diff import diff_cards, load_card
from reasonledger.cards.release import write_release_card
from reasonledger.cli import app
from reasonledger.product import build

from .conftest import QUICKSTART, SMALL, constructed_run, rollout_record

AUDITED = {"contamination": {"method": "13-gram", "benchmarks": [{"name": "gsm8k", "revision": "3101c7d", "flagged": 0}]},
           "near_duplicates": {"method": "minhash", "threshold": 0.8, "clusters": 0}}
PERSON = {"decontamination_sufficient": "yes: no 13-gram overlap with the eval set", "recipe.search": "none",
          "recipe.self_play_anchor": "none", "recipe.budget.generator_tokens": 1200}


def _knob(result: dict, name: str) -> dict:
    return next(k for k in result["knobs"] if k["knob"] == name)


def test_a_real_pair_of_quickstart_runs(quickstart_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "no-dedup"
    build(QUICKSTART, other, [*SMALL, "sources.0.size=45", "steps=[{type: gold_check}]"], workers=1, show_progress=False)
    result = diff_cards(load_card(quickstart_run), load_card(other))
    assert set(result["changed"]) == {"prompt_source", "uniqueness_and_reuse", "filters"}
    filters = _knob(result, "filters")
    assert filters["moves"] == "efficiency" and "dedup {}" in filters["a"] and "dedup {}" not in filters["b"]
    assert _knob(result, "prompt_source")["moves"] == "ceiling"
    assert set(filters["confounded_by"]) == {"prompt_source", "uniqueness_and_reuse"}
    assert "contamination.benchmarks" in filters["missing_before_credit"]["b"]
    assert not filters["creditable"]
    assert not _knob(result, "verifier")["changed"] and not _knob(result, "teacher")["changed"]

    cli = CliRunner().invoke(app, ["card", "diff", str(quickstart_run), str(other)])
    assert cli.exit_code == 0, cli.output
    assert "filters changed — can move the efficiency" in cli.output
    as_json = CliRunner().invoke(app, ["card", "diff", str(quickstart_run), str(other / "card" / "card.json"), "--json"])
    assert json.loads(as_json.output)["changed"] == result["changed"]


def _audited_run(root: Path, model: str) -> Path:
    run, recipe = constructed_run(root, [rollout_record(i, ["4", "5"], model=model) for i in range(4)], PERSON)
    (run / "audit").mkdir()
    (run / "audit" / "audit.json").write_text(json.dumps(AUDITED))
    write_release_card(run, recipe)
    return run


def test_only_the_teacher_changed_and_everything_needed_is_known(tmp_path: Path) -> None:
    a, b = _audited_run(tmp_path / "a", "tiny-llm"), _audited_run(tmp_path / "b", "bigger-llm")
    result = diff_cards(load_card(a), load_card(b))
    assert result["changed"] == ["teacher"]
    teacher = _knob(result, "teacher")
    assert teacher["moves"] == "ceiling"
    assert teacher["a"]["generator"] == ["tiny-llm@abc123"] and teacher["b"]["generator"] == ["bigger-llm@abc123"]
    assert teacher["missing_before_credit"] == {"a": [], "b": []}
    assert teacher["creditable"]


def test_a_gain_cannot_be_credited_while_contamination_is_unknown(tmp_path: Path) -> None:
    a = _audited_run(tmp_path / "a", "tiny-llm")
    run, recipe = constructed_run(tmp_path / "b", [rollout_record(i, ["4", "5"], model="bigger-llm") for i in range(4)], PERSON)
    write_release_card(run, recipe)
    result = diff_cards(load_card(a), load_card(run))
    assert {"teacher", "decontamination", "uniqueness_and_reuse"} <= set(result["changed"])
    teacher = _knob(result, "teacher")
    assert "contamination.benchmarks" in teacher["missing_before_credit"]["b"]
    assert not teacher["creditable"]
    assert _knob(result, "decontamination")["moves"] == "measurement"
