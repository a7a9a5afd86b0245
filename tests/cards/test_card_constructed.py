"""Cards of runs made from hand-built records: rollouts, model lineage, and a grader not registered here."""

from __future__ import annotations

from pathlib import Path

from reasonledger.cards.release import build_card, write_release_card
from reasonledger.cards.schema import check_card
from reasonledger.scaling.card import save_curves

from .conftest import constructed_run, rollout_record


def test_rollout_release_card_derives_band_generator_and_contract(tmp_path: Path) -> None:
    records = [rollout_record(1, ["4", "4", "4", "4"]), rollout_record(2, ["4", "5", "6", "7"]),
               rollout_record(3, ["1", "2", "3", "5"])]
    run, recipe = constructed_run(tmp_path / "run", records)
    card = write_release_card(run, recipe)
    assert check_card(card) in (True, False)  # valid (or jsonschema absent)
    assert card["released"]["rollouts"] and card["released"]["rewards"] and not card["released"]["step_labels"]
    v = card["verification"]
    assert v["contract"] == "mixed"  # exact (programmatic) and the authors' grader (human labels)
    assert v["families"] == {"authors_grader": "judgment", "exact": "programmatic"}
    assert "rejection_sampling_sft" in v["training_use"]
    p = card["pass_rate"]
    assert p["status"] == "measured"
    assert p["band"] == [0.0, 1.0]
    assert p["histogram"]["counts"][0] == 1 and p["histogram"]["counts"][2] == 1 and p["histogram"]["counts"][-1] == 1
    assert p["conditioning"] == {"policy": "tiny-llm", "revision": "abc123", "n": 4, "temperature": 0.7,
                                 "max_tokens": "unknown", "template": "unknown", "verifier": "authors_grader",
                                 "verifier_version": "2021", "verifier_config": ""}
    assert "pass_rate.conditioning.max_tokens" in card["missing"]
    assert card["recipe"]["generator"] == [{"model": "tiny-llm", "revision": "abc123",
                                            "sampling": {"n": 4, "temperature": 0.7}, "events": 3}]
    assert {"recipe.search", "recipe.self_play_anchor", "recipe.budget.generator_tokens"} <= set(card["missing"])
    assert card["funnel"]["steps"] == []  # no run log: nothing is invented
    grader = next(x for x in card["recipe"]["verifiers"] if x["id"] == "authors_grader")
    assert grader["passed"] == 5 and grader["failed"] == 7
    assert next(c for c in card["verifier_cards"] if c["id"] == "exact")["available"]
    assert (run / "card" / "report.html").read_text().count("<svg") >= 4
    # two verifiers judged the rollouts: pass@k per verifier, reuse over the same prompts
    assert set(card["scaling"]["by_verifier"]) == {"authors_grader", "exact"}
    assert card["scaling"]["reuse"]["unique_prompts"] == 3


def test_repeated_prompts_are_counted_even_without_a_dedup_step(tmp_path: Path) -> None:
    twice = [rollout_record(1, ["4"]), rollout_record(1, ["5"])]  # same prompt, different behaviour
    run, recipe = constructed_run(tmp_path / "run", twice)
    exact = build_card(run, recipe)["dedup"]["exact"]
    assert exact["status"] == "not_run"
    assert (exact["unique_prompts"], exact["repeated_prompts_released"]) == (1, 1)


def test_an_empty_release_still_gets_a_valid_card(tmp_path: Path) -> None:
    run, recipe = constructed_run(tmp_path / "run", [])
    card = write_release_card(run, recipe)
    assert check_card(card) in (True, False)
    assert card["records"] == 0 and card["verification"]["contract"] == "unknown"
    assert "verification.contract" in card["missing"] and "verification.training_use[0]" in card["missing"]
    assert card["scaling"]["status"] == "not_applicable"


def test_saved_scaling_curves_reach_the_card_of_a_release_without_rollouts(tmp_path: Path) -> None:
    run, recipe = constructed_run(tmp_path / "run", [])
    save_curves(run, {"fits": {"base": {"params": {"A": 0.5}}}})
    assert build_card(run, recipe)["scaling"] == {"curves": {"fits": {"base": {"params": {"A": 0.5}}}}}
