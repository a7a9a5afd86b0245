"""`card set` and the recipe's card: section fill what only a person can answer, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasonledger.cards import overrides
from reasonledger.cards.overrides import CardFieldError, parse_path
from reasonledger.cards.release import build_card, load_recipe_of
from reasonledger.cli import app

runner = CliRunner()


def test_card_set_fills_a_human_field_and_re_renders(run_copy: Path) -> None:
    result = runner.invoke(app, ["card", "set", "biases", "[arithmetic-heavy, English only]", "--run", str(run_copy)])
    assert result.exit_code == 0, result.output
    card = json.loads((run_copy / "card" / "card.json").read_text())
    assert card["biases"] == ["arithmetic-heavy", "English only"]
    assert "biases" not in card["missing"]
    assert "arithmetic-heavy" in (run_copy / "card" / "card.md").read_text()
    croissant = json.loads((run_copy / "croissant.json").read_text())
    assert croissant["rai:dataBiases"] == ["arithmetic-heavy", "English only"]
    assert json.loads((run_copy / "card" / "overrides.json").read_text()) == {"biases": ["arithmetic-heavy", "English only"]}
    # a re-render keeps the person's answer
    assert runner.invoke(app, ["card", str(run_copy)]).exit_code == 0
    assert json.loads((run_copy / "card" / "card.json").read_text())["biases"] == ["arithmetic-heavy", "English only"]


@pytest.mark.parametrize("key", ["records", "verification.contract", "verifier_cards[reasoning_gym].calibration",
                                 "funnel.released", "recipe.prompt_sources[reasonledger/examples-local].license"])
def test_card_set_refuses_fields_computed_from_data(run_copy: Path, key: str) -> None:
    result = runner.invoke(app, ["card", "set", key, "1", "--run", str(run_copy)])
    assert result.exit_code == 1
    assert not (run_copy / "card" / "overrides.json").exists()


def test_a_value_the_schema_refuses_is_not_saved(run_copy: Path) -> None:
    result = runner.invoke(app, ["card", "set", "date_published", "next spring", "--run", str(run_copy)])
    assert result.exit_code == 1 and "date_published" in result.output
    assert not (run_copy / "card" / "overrides.json").exists()
    assert runner.invoke(app, ["card", "set", "date_published", "2026-12-01", "--run", str(run_copy)]).exit_code == 0
    croissant = json.loads((run_copy / "croissant.json").read_text())
    assert croissant["datePublished"] == "2026-12-01"


def test_unknown_field_found_by_the_data_can_be_filled(run_copy: Path) -> None:
    card = build_card(run_copy, load_recipe_of(run_copy))
    assert "contamination.method" in card["missing"]
    overrides.check_settable(card, "contamination.method")
    with pytest.raises(CardFieldError, match="no such card field"):
        overrides.check_settable(card, "contamination.nonsense")


def test_recipe_card_section_with_a_computed_field_is_a_clear_error(run_copy: Path) -> None:
    recipe = load_recipe_of(run_copy)
    bad = recipe.model_copy(update={"card": {"records": 10}})
    with pytest.raises(CardFieldError, match="recipe card:.*records"):
        build_card(run_copy, bad)


def test_card_paths_name_list_items_by_label() -> None:
    assert parse_path("recipe.prompt_sources[reasoning-gym/chain_sum].revision") == [
        "recipe", "prompt_sources", "reasoning-gym/chain_sum", "revision"]
    with pytest.raises(CardFieldError):
        parse_path("recipe..search")
