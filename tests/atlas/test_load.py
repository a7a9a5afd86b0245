"""Loading: every entry validates against the shipped enums; counts match the YAML read independently;
bad entries are refused with their line, entry and field."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from reasonledger.atlas import AtlasError, load
from reasonledger.atlas.load import schema
from tests.atlas.conftest import level_of


def test_all_280_entries_load_and_use_only_the_schema_enums(raw_entries: list[dict[str, Any]]) -> None:
    atlas = load()
    enums = schema()["enums"]
    assert len(atlas.entries) == len(raw_entries) == 280
    for entry in raw_entries:
        for key, allowed in enums.items():
            assert set(entry[key] if isinstance(entry[key], list) else [entry[key]]) <= set(allowed), (entry["id"], key)


def test_counts_by_contract_level_and_status_match_the_yaml(raw_entries: list[dict[str, Any]]) -> None:
    atlas = load()
    by_contract = Counter(c for e in raw_entries for c in e["verification_contract"])
    assert Counter(c for e in atlas.entries for c in e.raw["verification_contract"]) == by_contract
    assert Counter(e.level for e in atlas.entries) == Counter(level_of(e) for e in raw_entries)
    assert Counter(e.raw["status"] for e in atlas.entries) == Counter(e["status"] for e in raw_entries)
    # the figures issue 18 states about this revision
    statuses = Counter(e["status"] for e in raw_entries)
    assert (statuses["verified"], statuses["needs_metadata"]) == (165, 112)
    assert sum(1 for e in raw_entries if set(e["verification_contract"]) != {"unknown"}) == 100


def test_families_follow_the_contracts(raw_entries: list[dict[str, Any]]) -> None:
    atlas = load()
    for raw, entry in zip(raw_entries, atlas.entries):
        assert ("programmatic" in entry.families) == ("programmatic" in raw["verification_contract"])
        assert ("judgment" in entry.families) == ("judgment_required" in raw["verification_contract"])


def _write(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "papers.yaml"
    path.write_text(yaml.safe_dump(entries, sort_keys=False))
    return path


def test_a_value_outside_the_enums_is_refused_with_line_entry_and_field(raw_entries, tmp_path: Path) -> None:
    bad = [dict(e) for e in raw_entries[:3]]
    bad[1]["verification_contract"] = ["programatic"]
    del bad[2]["audit"]
    with pytest.raises(AtlasError) as caught:
        load(_write(tmp_path, bad))
    message = str(caught.value)
    line = next(n for n, text in enumerate((tmp_path / "papers.yaml").read_text().splitlines(), 1)
                if text == f"- id: {bad[1]['id']}")
    assert f"line {line} ({bad[1]['id']}): verification_contract 'programatic' is not one of" in message
    assert f"({bad[2]['id']}): required key 'audit' is missing" in message


def test_a_bad_level_and_a_duplicate_id_are_refused(raw_entries, tmp_path: Path) -> None:
    bad = [dict(raw_entries[0], curation_level="L7_perfect"), dict(raw_entries[0])]
    with pytest.raises(AtlasError) as caught:
        load(_write(tmp_path, bad))
    assert "curation_level 'L7_perfect'" in str(caught.value) and "duplicate id" in str(caught.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(AtlasError, match="cannot read the atlas"):
        load(tmp_path / "nope.yaml")


def test_a_user_atlas_with_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    # nine levels of nine aliases expand to 9**9 values; the shared YAML bounds refuse it before expanding
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    bomb = tmp_path / "papers.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AtlasError, match="not valid YAML"):
        load(bomb)
