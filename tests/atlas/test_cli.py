"""`reasonledger atlas query|show|coverage` on the shipped atlas."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from reasonledger.atlas import load
from reasonledger.cli import app
from tests.atlas.conftest import level_of

runner = CliRunner()


def test_query_json_matches_the_yaml(raw_entries: list[dict[str, Any]]) -> None:
    result = runner.invoke(app, ["atlas", "query", "--family", "programmatic", "--kind", "prompt_answer",
                                 "--level", "L4+", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    expected = {e["id"] for e in raw_entries if "programmatic" in e["verification_contract"]
                and "answer_level" in e["supervision_granularity"] and level_of(e) >= 4}
    assert {e["id"] for e in got} == expected
    assert all(e["level"][:2] in ("L4", "L5") for e in got)


def test_query_refuses_unknown_family_kind_and_level() -> None:
    for args, said in ((["--family", "magic"], "expected one of"), (["--kind", "essay"], "expected one of"),
                       (["--level", "L9"], "expected L0..L5")):
        result = runner.invoke(app, ["atlas", "query", *args])
        assert result.exit_code == 1 and said in result.output


def test_show_marks_every_field() -> None:
    entry = next(e for e in load().entries if e.field("audit.source_mixture").kind == "question")
    result = runner.invoke(app, ["atlas", "show", entry.id, "--json"])
    shown = json.loads(result.stdout)
    assert shown["level"] == entry.level_label
    assert shown["fields"]["audit.source_mixture"]["kind"] == "question"
    assert shown["fields"]["recipe_metadata.temperature"] == {"value": None, "kind": "placeholder"}
    text = runner.invoke(app, ["atlas", "show", entry.id]).stdout
    assert "Open questions (not findings):" in text and entry.level_label in text
    assert runner.invoke(app, ["atlas", "show", "no-such-study"]).exit_code == 1


def test_coverage_json_has_every_cell() -> None:
    result = runner.invoke(app, ["atlas", "coverage", "--level", "L4+", "--json"])
    cells = json.loads(result.stdout)["cells"]
    assert {(c["family"], c["kind"]) for c in cells} >= {("environmental", "episode"), ("programmatic", "prompt_answer")}
    programmatic = next(c for c in cells if (c["family"], c["kind"]) == ("programmatic", "prompt_answer"))
    assert programmatic["reasonledger_covers"] and programmatic["atlas_entries"]
    assert set(programmatic["atlas_levels"]) <= {"L4_carded", "L5_audit_ready"}
