"""Queries select what the YAML holds, computed here without the loader."""

from __future__ import annotations

from typing import Any

import pytest

from reasonledger.atlas import load
from reasonledger.atlas.query import level_range, select
from tests.atlas.conftest import level_of


@pytest.mark.parametrize(("spec", "expected"), [("L4+", (4, 5)), ("L4", (4, 4)), ("l2-L4", (2, 4)), ("0+", (0, 5))])
def test_level_range(spec: str, expected: tuple[int, int]) -> None:
    assert level_range(spec) == expected


@pytest.mark.parametrize("spec", ["L6", "L4-L2", "four", ""])
def test_bad_level_says_what_is_accepted(spec: str) -> None:
    with pytest.raises(ValueError, match="expected L0..L5|empty"):
        level_range(spec)


def test_environmental_episodes_at_l4_and_above(raw_entries: list[dict[str, Any]]) -> None:
    expected = {e["id"] for e in raw_entries if "environmental" in e["verification_contract"]
                and {"full_episode", "state_action_level", "trajectory_value"} & set(e["supervision_granularity"])
                and level_of(e) >= 4}
    found = {e.id for e in select(load().entries, family="environmental", kind="episode", level="L4+")}
    assert found == expected and found


def test_status_and_exact_level(raw_entries: list[dict[str, Any]]) -> None:
    expected = {e["id"] for e in raw_entries if e["status"] == "verified" and e["curation_level"].startswith("L1")}
    assert {e.id for e in select(load().entries, level="L1", status="verified")} == expected
