"""The card shows the funnel per source and family (card.json, card.md, report.html, README.md), and
the quickstart releases every one of its 15 reasoning-gym families."""

from __future__ import annotations

import json
from pathlib import Path

from reasonledger.cards.release import load_recipe_of
from reasonledger.records.io import iter_valid


def test_quickstart_releases_all_15_families(quickstart_run: Path) -> None:
    declared = load_recipe_of(quickstart_run).sources[0].params()["tasks"]
    records = list(iter_valid(quickstart_run / "data"))
    assert len(declared) == 15
    assert {r.meta.get("task_family") for r in records} - {None} == set(declared)
    gold = {r.meta["gold"] for r in records if r.meta.get("task_family") == "propositional_logic"}
    assert gold == {"example_answer"}  # no single gold answer: checked with the example the generator gives


def test_card_funnel_per_source_adds_up(quickstart_run: Path) -> None:
    card = json.loads((quickstart_run / "card" / "card.json").read_text())
    acc = card["funnel"]["by_source"]
    records = list(iter_valid(quickstart_run / "data"))
    families = [u for u in acc["units"] if u["family"]]
    assert sorted(u["family"] for u in families) == sorted(load_recipe_of(quickstart_run).sources[0].params()["tasks"])
    for unit in acc["units"]:
        mine = [r for r in records if r.task.source.dataset == unit["dataset"]]
        assert unit["released"] == len(mine)
        assert unit["read"] + unit["quarantined"] - sum(unit["dropped"].values()) == unit["released"]
        assert unit["status"] == "ok" and unit["limit"] == 0.5
    assert sum(s["read"] for s in acc["sources"]) == card["funnel"]["read"]
    assert sum(s["released"] for s in acc["sources"]) == acc["released"] == card["records"]
    assert acc["failures"] == [] and acc["allowed_losses"] == [] and acc["gold_unchecked"] == 0
    dropped = {}
    for unit in acc["units"]:
        for reason, n in unit["dropped"].items():
            dropped[reason.split(": ", 1)[1]] = dropped.get(reason.split(": ", 1)[1], 0) + n
    assert dropped == card["funnel"]["dropped_by_reason"]


def test_every_rendering_shows_the_funnel_per_source(quickstart_run: Path) -> None:
    text = (quickstart_run / "card" / "card.md").read_text()
    section = text[text.index("### Funnel per source"):text.index("### Pass-rate band")]
    assert "loss floor: a source or family may lose at most 50%" in section
    assert section.count("| reasoning-gym/") == 15 and "| data/local_tasks.jsonl |" in section
    assert "- [x] per-source funnel: 18 of 18 sources and families within the 50% loss floor, 0 over it as the recipe " \
           "allows, 0 over their limit; 0 task(s) with no gold check" in text  # 2 sources, 15 families, the local file
    assert "Funnel per source" in (quickstart_run / "card" / "report.html").read_text()
    assert "| funnel per source | reasoning-gym: 60 read" in (quickstart_run / "card" / "README.md").read_text()
