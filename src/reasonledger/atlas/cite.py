"""What the literature knows, beside what we computed: the atlas entries a release card or an audit
report cites, section by section, quoting only facts and always with each entry's curation level.

A card section cites the entries that share the dataset's verifier family and record kinds; an audit
finding (length trap, difficulty band, contamination, duplicates, verifier agreement, judge bias,
agent failures) cites the entries whose own facts (title, tags, summary, failure modes) name it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from typing import Any

from reasonledger.atlas.load import Atlas, Entry, load
from reasonledger.atlas.query import level_range, select
from reasonledger.atlas.vocab import FAMILIES

DEFAULT_LEVELS = "L4+"

# Finding -> word stems that name it in an entry's facts.
TOPICS: dict[str, tuple[str, ...]] = {
    "length_trap": ("length", "verbos", "overthink", "long chain", "long-chain", "long cot"),
    "difficulty": ("difficulty", "pass rate", "pass@k", "curriculum", "hard problem"),
    "contamination": ("contaminat", "memoriz", "leakage", "decontaminat"),
    "duplicates": ("duplicate", "dedup"),
    "verifier_agreement": ("false positive", "false negative", "reward hacking", "verifier"),
    "judge_bias": ("judge", "position-bias", "position bias", "self-preference", "sycophan"),
    "agent_failures": ("agent", "trajectory", "tool use", "tool-use", "environment"),
}
# Audit section name -> finding.
FINDING_OF_SECTION = {
    "length_trap": "length_trap", "difficulty": "difficulty", "contamination": "contamination",
    "near_duplicates": "duplicates", "exact_duplicates": "duplicates", "verifier_agreement": "verifier_agreement",
}
TITLES = {
    "verification": "Same verifier family and record kinds", "verifiers": "Verifier studies", "length_trap": "Length trap",
    "difficulty": "Difficulty band", "contamination": "Contamination", "duplicates": "Duplicates",
    "verifier_agreement": "Verifier agreement", "judge_bias": "Judge bias", "agent_failures": "Agent failures",
}


def finding_of(section: str) -> str | None:
    if section in FINDING_OF_SECTION:
        return FINDING_OF_SECTION[section]
    return "judge_bias" if "judge" in section else "agent_failures" if "agent" in section else None


def _fact_text(entry: Entry) -> str:
    q = entry.quote()
    return " ".join([q["title"], q["summary"] or "", *q["failure_modes"], *entry.raw.get("tags", [])]).lower()


def on_topic(entries: Iterable[Entry], finding: str) -> list[Entry]:
    stems = TOPICS[finding]
    return [e for e in entries if any(re.search(rf"(?<![a-z]){re.escape(s)}", _fact_text(e)) for s in stems)]


def sharing(entries: Iterable[Entry], families: Iterable[str], kinds: Iterable[str]) -> list[Entry]:
    fams, knds = set(families), set(kinds)
    return [e for e in entries if fams & set(e.families) and knds & set(e.kinds)]


def _section(basis: str, entries: list[Entry]) -> dict[str, Any]:
    quoted = []
    for e in sorted(entries, key=lambda e: (-e.level, e.id)):
        q = e.quote()
        quoted.append({k: q[k] for k in ("id", "title", "year", "level", "status", "families", "kinds", "failure_modes")}
                      | ({"summary": q["summary"]} if q["summary"] else {}))
    return {"basis": basis, "entries": quoted}


def _header(atlas: Atlas, levels: str) -> dict[str, Any]:
    low, high = level_range(levels)
    pin = atlas.pin
    return {"source": pin.source if pin else "papers.yaml given by the user",
            "revision": pin.revision if pin else "unpinned", "levels": f"L{low}-L{high}",
            "quoted": "facts only; open questions and placeholders in the atlas are not quoted"}


def cite_findings(sections: Iterable[str], levels: str = DEFAULT_LEVELS, atlas: Atlas | None = None) -> dict[str, Any]:
    """Citations for the audit findings named by `sections` (audit section names)."""
    atlas = atlas or load()
    pool = select(atlas.entries, level=levels)
    cited: dict[str, Any] = {}
    for finding in sorted({f for s in sections if (f := finding_of(s))}):
        cited[finding] = _section(f"entries whose facts name the {TITLES[finding].lower()}", on_topic(pool, finding))
    return {**_header(atlas, levels), "sections": cited}


def cite_card(card: dict[str, Any], levels: str = DEFAULT_LEVELS, atlas: Atlas | None = None) -> dict[str, Any]:
    """The card's `literature` section: entries sharing its verifier families and record kinds, the
    verifier and reward studies of those families (beside the verifier cards), then one block per
    audit finding the card carries (agent failures when it counts failed episodes)."""
    atlas = atlas or load()
    verification = card.get("verification") or {}
    families = sorted(set(verification.get("families", {}).values()) & set(FAMILIES))
    kinds = sorted((card.get("objects") or {}).get("by_kind", {}))
    audit = card.get("audit") or {}
    sections = [name for name, s in (audit.get("sections") or {}).items()
                if not isinstance(s, dict) or s.get("applicable") is not False]
    if isinstance(card.get("pass_rate"), dict) and card["pass_rate"].get("status") in ("measured", "audited"):
        sections.append("difficulty")
    if any(outcome != "success" for counts in (verification.get("episode_outcomes") or {}).values()
           for outcome, n in counts.items() if n):
        sections.append("agent_failures")  # the card counts failed episodes: what is known about them
    out = cite_findings(sections, levels, atlas)
    shared = sharing(select(atlas.entries, level=levels), families, kinds)
    basis = f"families {', '.join(families) or 'none'} and kinds {', '.join(kinds) or 'none'}"
    verifier_studies = [e for e in select(atlas.entries, level=levels)
                        if "verifier_reward" in e.raw["source_role"] and set(families) & set(e.families)]
    out["sections"] = {"verification": _section(basis, shared),
                       "verifiers": _section(f"verifier and reward studies of family {', '.join(families) or 'none'}",
                                             verifier_studies), **out["sections"]}
    return out


def markdown(literature: dict[str, Any], text: Callable[[Any], str] = str,
             code: Callable[[Any], str] = lambda v: f"`{v}`", heading: str = "##") -> str:
    """The literature block of card.md / audit.md; `text` and `code` escape atlas values for the page."""
    lines = [f"{heading} What the literature knows", "",
             text(f"Atlas {literature['source']} @ {literature['revision']}, curation levels {literature['levels']}; "
                  f"{literature['quoted']}."), ""]
    for name, section in literature["sections"].items():
        lines += [f"{heading}# {TITLES.get(name, name)}", "",
                  text(f"Cited: {section['basis']} ({len(section['entries'])})."), ""]
        for e in section["entries"]:
            modes = " ".join(e["failure_modes"]) or "no known failure mode recorded"
            lines.append(f"- **{text(e['title'])}** ({e['year']}, {code(e['id'])}, {text(e['level'])}): {text(modes)}")
        lines.append("")
    return "\n".join(lines)


def html_block(literature: dict[str, Any]) -> str:
    """The literature block of report.html / audit.html (every atlas value escaped)."""
    esc = html.escape
    parts = [f"<section id=\"literature\"><h2>What the literature knows</h2><p>Atlas {esc(literature['source'])} @ "
             f"{esc(literature['revision'])}, curation levels {esc(literature['levels'])}; {esc(literature['quoted'])}.</p>"]
    for name, section in literature["sections"].items():
        parts.append(f"<h3>{esc(TITLES.get(name, name))}</h3><p>Cited: {esc(section['basis'])} "
                     f"({len(section['entries'])}).</p><ul>")
        for e in section["entries"]:
            modes = " ".join(e["failure_modes"]) or "no known failure mode recorded"
            parts.append(f"<li><b>{esc(e['title'])}</b> ({e['year']}, <code>{esc(e['id'])}</code>, "
                         f"{esc(e['level'])}): {esc(modes)}</li>")
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


def cite_audit(result: dict[str, Any], levels: str = DEFAULT_LEVELS) -> dict[str, Any]:
    """Citations for an audit result (audit.json): one block per finding that was measured."""
    measured = [name for name, section in result.items() if isinstance(section, dict) and finding_of(name)
                and section.get("applicable") is not False and section.get("method") != "not run"]
    return cite_findings(measured, levels)
