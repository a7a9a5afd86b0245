"""Verifier cards: the standard fields for every registered verifier, calibration only from measured files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasonledger.cards.verifier_cards import CARD_FIELDS, family_of, registered_cards, verifier_card
from reasonledger.verifiers import available_verifiers, verifier_class


def test_every_registered_verifier_has_a_card_or_says_why_not() -> None:
    cards = {c["id"]: c for c in registered_cards()}
    assert set(cards) == set(available_verifiers())
    for card in cards.values():
        if card["available"]:
            assert set(CARD_FIELDS) <= set(card)
        else:
            assert card["reason"]
    for name in ("exact", "reasoning_gym"):
        assert cards[name]["available"] and cards[name]["native_signal"] != "unknown"
        assert cards[name]["known_false_positives"] and cards[name]["known_false_negatives"]


def test_calibration_comes_from_the_measured_file_for_this_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REASONLEDGER_CALIBRATION_DIR", str(tmp_path))
    assert verifier_card("exact")["calibration"] == "unknown"
    run = {"version": verifier_class("exact").version, "set": "constructed negatives", "n": 10, "false_positive_rate": 0.0,
           "false_negative_rate": 0.1, "command": "python benchmarks/cards_calibration.py"}
    (tmp_path / "exact.json").write_text(json.dumps({"runs": [run, {**run, "version": "0.9.0", "n": 3}]}))
    assert verifier_card("exact")["calibration"] == [run]


def test_a_verifier_that_does_not_exist_is_reported_not_raised() -> None:
    card = verifier_card("no_such_verifier")
    assert card["available"] is False and "no_such_verifier" in card["reason"]
    assert family_of("no_such_verifier", "human") == "judgment"
    assert family_of("exact") == "programmatic"
