"""Every atlas value is a fact, an open question or a placeholder, and only facts are ever quoted."""

from __future__ import annotations

from typing import Any

import pytest

from reasonledger.atlas import classify, load


@pytest.mark.parametrize(("value", "kind"), [
    ("Which repositories dominate the mixture?", "question"),
    ("Are tests hidden, complete, and deterministic", "question"),
    ("unknown", "placeholder"), ("Unknown.", "placeholder"), ("TBD", "placeholder"), ("", "placeholder"),
    (None, "placeholder"), ([], "placeholder"), ("Check official artifact license before reuse.", "placeholder"),
    (["needs_metadata: curator should verify atlas fields"], "placeholder"),
    ("MIT in official repository", "fact"), (2021, "fact"), (["math", "code"], "fact"),
    (["Unit tests can miss bugs.", "Which tests leak?"], "question"),
    ("Issues are scraped from GitHub.", "fact"),
])
def test_classify(value: Any, kind: str) -> None:
    assert classify(value) == kind


def test_source_mixture_questions_are_questions(raw_entries: list[dict[str, Any]]) -> None:
    values = [e["audit"]["source_mixture"] for e in raw_entries if e["audit"]["source_mixture"] != "unknown"]
    asked = [v for v in values if str(v).strip().endswith("?")]
    assert len(values) == 40 and len(asked) == 34  # what issue 18 says of this revision
    atlas = load()
    tagged = [e.field("audit.source_mixture") for e in atlas.entries]
    assert sum(t.kind == "question" for t in tagged) >= len(asked)
    assert all(t.kind == "question" for t in tagged if str(t.value).strip().endswith("?"))


def test_empty_recipe_numbers_are_placeholders_everywhere() -> None:
    for entry in load().entries:
        for path in ("recipe_metadata.rollout_count", "recipe_metadata.temperature"):
            assert entry.field(path).kind == "placeholder", (entry.id, path)


def test_a_quote_holds_facts_only_for_every_entry() -> None:
    for entry in load().entries:
        quote = entry.quote()
        assert entry.field("title").kind == "fact"  # a study's name, even when phrased as a question
        assert quote["summary"] is None or classify(quote["summary"]) == "fact", entry.id
        assert all(classify(mode) == "fact" for mode in quote["failure_modes"]), entry.id
        assert all(classify(q) == "question" for q in quote["open_questions"]), entry.id
        assert quote["level"] == entry.raw["curation_level"]
