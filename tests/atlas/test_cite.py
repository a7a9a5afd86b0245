"""No rendered card or report shows an atlas question or placeholder as a fact: checked over every entry."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from reasonledger.atlas import classify, load
from reasonledger.atlas.cite import TOPICS, cite_audit, cite_card, cite_findings, html_block, markdown, on_topic
from reasonledger.atlas.coverage import KINDS
from reasonledger.atlas.vocab import FAMILIES
from reasonledger.cards.markdown import md_code, md_text
from reasonledger.quality.report import render_html as audit_html
from reasonledger.quality.report import render_markdown as audit_markdown

EVERYTHING = {"verification": {"families": {f"v{i}": f for i, f in enumerate(FAMILIES)}},
              "objects": {"by_kind": {k: 1 for k in KINDS}},
              "audit": {"sections": {name: {} for name in ("length_trap", "difficulty", "contamination", "near_duplicates",
                                                            "verifier_agreement", "judge_bias", "agent_failures")}}}


@functools.cache
def _not_facts() -> frozenset[str]:
    """Every question or placeholder text in the atlas that is never also stated as a fact."""
    facts, others = set(), set()
    for entry in load().entries:
        for tagged in entry.tagged().values():
            items = [(v, classify(v)) for v in tagged.value] if isinstance(tagged.value, list) else [
                (tagged.value, tagged.kind)]
            for v, kind in items:
                if isinstance(v, str) and len(v) >= 12:
                    (facts if kind == "fact" else others).add(v)
        facts.update(entry.failure_modes)
    return frozenset(others - facts)


@pytest.fixture(scope="module")
def cited_everything() -> dict[str, Any]:
    return cite_card(EVERYTHING, levels="L0+")


def test_every_entry_can_be_cited_and_each_citation_is_labelled(cited_everything: dict[str, Any]) -> None:
    cited = {e["id"] for s in cited_everything["sections"].values() for e in s["entries"]}
    mapped = {e.id for e in load().entries if e.families and e.kinds}
    assert mapped <= cited
    for section in cited_everything["sections"].values():
        assert all(e["level"].startswith("L") for e in section["entries"])


@pytest.mark.parametrize("render", ["md", "card_md", "html", "audit_md", "audit_html"])
def test_no_question_or_placeholder_is_rendered(cited_everything: dict[str, Any], render: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import reasonledger.quality.report as report

    # every entry, through the audit pages too
    monkeypatch.setattr(report, "cite_audit", lambda result: cited_everything)
    audit = {"records": 1, "config": {}, "length_trap": {"applicable": False, "reason": "no rollouts"}}
    page = {"md": lambda: markdown(cited_everything), "card_md": lambda: markdown(cited_everything, md_text, md_code),
            "html": lambda: html_block(cited_everything), "audit_md": lambda: audit_markdown(audit),
            "audit_html": lambda: audit_html(audit, {})}[render]()
    assert "What the literature knows" in page
    assert "http://" not in page and "https://" not in page  # the reports are self-contained pages
    shown = [v for v in _not_facts() if v in page or md_text(v) in page]
    assert not shown, shown[:5]


def test_default_citations_are_l4_and_l5_only() -> None:
    cited = cite_card(EVERYTHING)
    assert cited["levels"] == "L4-L5"
    assert {e["level"][:2] for s in cited["sections"].values() for e in s["entries"]} <= {"L4", "L5"}


def test_findings_cite_entries_whose_facts_name_them() -> None:
    entries = list(load().entries)
    for finding in TOPICS:
        for entry in on_topic(entries, finding):
            text = " ".join([entry.raw["title"], *entry.failure_modes, *entry.raw["tags"],
                             entry.quote()["summary"] or ""]).lower()
            assert any(stem in text for stem in TOPICS[finding]), (finding, entry.id)
    contamination = cite_findings(["contamination"])["sections"]["contamination"]["entries"]
    assert any("contaminat" in " ".join(e["failure_modes"]).lower() for e in contamination)


def test_the_audit_cites_only_measured_findings() -> None:
    result = {"records": 3, "contamination": {"method": "not run"}, "length_trap": {"applicable": False},
              "difficulty": {"band": {}}, "config": {}}
    assert list(cite_audit(result)["sections"]) == ["difficulty"]


def test_an_environment_replay_release_cites_the_environmental_entries(raw_entries: list[dict[str, Any]]) -> None:
    card = {"verification": {"families": {"sandbox_replay": "environmental"}}, "objects": {"by_kind": {"episode": 12}}}
    expected = {e["id"] for e in raw_entries if "environmental" in e["verification_contract"]
                and {"full_episode", "state_action_level", "trajectory_value"} & set(e["supervision_granularity"])
                and int(e["curation_level"][1]) >= 4}
    cited = cite_card(card)["sections"]["verification"]["entries"]
    assert expected and {e["id"] for e in cited} == expected
