"""card.md: the release card in the section order of the companion atlas cards.

Every value that comes from data (source names, licences, card fields, verifier evidence) is
escaped with `md_text` (or `md_code` inside a code span) before it reaches Markdown, so no
renderer that passes raw HTML through (CommonMark does) can run a script from a dataset."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reasonledger.atlas.cite import markdown as literature_markdown
from reasonledger.cards.overrides import UNKNOWN
from reasonledger.stats.beta import describe_posteriors

HEADINGS = ("TL;DR", "Why this matters", "What is the data object?", "Verification contract", "Construction recipe",
            "How it can be used", "Audit checklist", "Known limitations", "Links")

# Characters with a Markdown meaning inline: backslash-escaped (CommonMark escapes any ASCII punctuation);
# an underscore between two letters or digits cannot start emphasis, so `not_run` stays as it is.
_INLINE = re.compile(r"([\\`*\[\]|~!]|(?<![^\W_])_|_(?![^\W_]))")
# HTML's own: as entities, so no tag, autolink or entity from data survives.
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What starts a block at the beginning of a line (heading, list, quote, setext underline, numbered list).
_BLOCK_START = re.compile(r"^(\s*)([#=+-]|\d+(?=[.)]))")


def md_text(value: Any) -> str:
    """Data as Markdown inline text that renders as exactly that text: HTML characters as entities,
    Markdown punctuation backslash-escaped, on one line."""
    text = " ".join(str(value).split("\n")).replace("\r", " ")
    text = "".join(_HTML.get(ch, ch) for ch in _INLINE.sub(r"\\\1", text))
    return _BLOCK_START.sub(lambda m: m.group(1) + (m.group(2) + "\\" if m.group(2)[0].isdigit() else "\\" + m.group(2)),
                            text, count=1)


def md_code(value: Any) -> str:
    """Data as a code span (HTML is never interpreted inside one): fenced with more backticks than
    any run the text holds, so the text cannot close the span."""
    text = " ".join(str(value).splitlines())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _format(value: Any, leaf: Callable[[Any], str], unknown: str) -> str:
    if value == UNKNOWN:
        return unknown
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(_format(v, leaf, unknown) for v in value) if value else "none"
    if isinstance(value, dict):
        return "; ".join(f"{leaf(k)}: {_format(v, leaf, unknown)}" for k, v in value.items()) if value else "none"
    return leaf(value)


def fmt(value: Any) -> str:
    """A card value as short inline Markdown, data escaped; unknown stays visibly unknown."""
    return _format(value, md_text, "**unknown**")


def plain(value: Any) -> str:
    """A card value as short plain text (for HTML, which escapes it itself, and the terminal)."""
    return _format(value, lambda v: " ".join(str(v).splitlines()), "unknown")


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return lines + [""] if rows else ["(none)", ""]


def checklist(card: dict[str, Any]) -> list[tuple[bool, str]]:
    """The audit checklist: each item is done (True) or still open, with the evidence in one line of
    plain text (card.md escapes it with `md_text`, report.html with HTML escaping)."""
    v, d, c, p = card["verification"], card["dedup"], card["contamination"], card["pass_rate"]
    sources = card["recipe"]["prompt_sources"]
    shards = card["manifest"]["data"]["shards"]
    bench = c["benchmarks"] if isinstance(c["benchmarks"], list) else []
    return [
        (v["coverage"] >= 1.0, f"verification coverage: {v['records_with_verdicts']:,} of {card['records']:,} records "
                                f"carry a verdict ({v['coverage']:.1%})"),
        (v["contract"] != UNKNOWN, f"verification contract: {v['contract']}"),
        (d["exact"]["status"] == "run", f"exact dedup: {d['exact']['status']}, {d['exact']['dropped']:,} dropped, "
                                        f"{d['exact']['repeated_prompts_released']:,} repeated prompts released"),
        (d["near"]["status"] == "run", f"near-duplicate check: {d['near']['status']}"),
        (c["status"] == "run", f"contamination check: {c['status']}"
                               + (": " + ", ".join(f"{b['name']}@{b['revision']} ({b['method']}): {plain(b['flagged'])} flagged"
                                                   for b in bench) if bench else "")
                               + (f"; records by relation: {', '.join(f'{k} {v:,}' for k, v in c['by_relation'].items())}"
                                  f" (dropped: {', '.join(c['policy']['drop']) or 'none'})" if c.get("by_relation") else "")),
        (card["decontamination_sufficient"] not in (UNKNOWN, False, "no"),
         f"decontamination judged sufficient: {plain(card['decontamination_sufficient'])}"),
        (p["status"] != "not_measured", f"pass-rate band: {plain(p['band'])} ({p['status']})"),
        (card["lineage"]["completeness"] >= 1.0, f"lineage: {card['lineage']['completeness']:.1%} of records carry events"),
        (all(s["license"] != UNKNOWN and s["revision"] != UNKNOWN for s in sources),
         "every prompt source names its licence and revision"),
        (bool(shards) and all(s.get("sha256") for s in shards), f"manifest: {len(shards)} shard(s) with sha256 and row counts"),
        _floor_item(card["funnel"]["by_source"]),
    ]


def _floor_item(acc: dict[str, Any]) -> tuple[bool, str]:
    """Done when every source and family stayed within its loss limit and every task had its gold checked."""
    if acc.get("status") != "recorded":
        return False, f"per-source funnel: {acc.get('status', 'unknown')}"
    rows = [*acc["sources"], *acc["units"]]
    status = {name: sum(r["status"] == name for r in rows) for name in ("ok", "allowed", "over_limit")}
    return (not acc["failures"] and not acc["gold_unchecked"],
            f"per-source funnel: {status['ok']} of {len(rows)} sources and families within the "
            f"{acc['max_loss']:.0%} loss floor, {status['allowed']} over it as the recipe allows, "
            f"{status['over_limit']} over their limit; "
            f"{acc['gold_unchecked']:,} task(s) with no gold check")


RATE_KEYS = ("false_positive_rate", "false_negative_rate", "agreement", "accuracy")


def calibration_lines(cal: Any) -> list[str]:
    """One plain-text line per measured run: its set, size and rates (per-case tables stay in card.json)."""
    if not isinstance(cal, list):
        return [plain(cal)]
    lines = []
    for run in cal:
        if not isinstance(run, dict):
            lines.append(plain(run))
            continue
        rates = {k: run[k] for k in RATE_KEYS if k in run} or {k: v for k, v in run.items() if not isinstance(v, (dict, list))}
        lines.append(f"{run.get('set', 'measured run')} (n={plain(run.get('n', 'unknown'))}): {plain(rates)}"
                     + (f" — command: {run['command']}" if run.get("command") else ""))
    return lines


def episode_outcome_lines(verification: dict[str, Any]) -> list[str]:
    """Agent data: how many episodes ended in each outcome, per environment (none: no such section)."""
    outcomes = verification.get("episode_outcomes")
    if not outcomes:
        return []
    return ["### Episode outcomes per environment", "", *table(
        ["environment", "outcome", "episodes"],
        [[env, outcome, n] for env, counts in outcomes.items() for outcome, n in counts.items()])]


def _verifier_cards(card: dict[str, Any]) -> list[str]:
    lines = []
    for vc in card["verifier_cards"]:
        if not vc.get("available"):
            lines += [f"- {md_code(vc['id'])}: not available here ({md_text(vc.get('reason', ''))})"]
            continue
        lines += [f"#### {md_code(vc['id'])} {md_text(vc['version'])} ({md_text(vc['family'])})", "",
                  f"- checks: {fmt(vc['checks'])}", f"- formats: {fmt(vc['formats'])}",
                  f"- native signal: {fmt(vc['native_signal'])}",
                  f"- known false positives: {fmt(vc['known_false_positives'])}",
                  f"- known false negatives: {fmt(vc['known_false_negatives'])}"]
        cal = vc["calibration"]
        lines += [f"- calibration: {md_text(line)}" for line in calibration_lines(cal)]
        lines.append("")
    return lines


def verifier_rows(card: dict[str, Any]) -> list[list[Any]]:
    """Verdict groups folded per verifier@version (a task family per config would flood the table)."""
    folded: dict[str, dict[str, Any]] = {}
    for v in card["recipe"]["verifiers"]:
        row = folded.setdefault(f"{v['id']}@{v['version']}", {"family": v["family"], "label": v["label_source"],
                                                              "configs": 0, "passed": 0, "failed": 0, "targets": {}})
        row["configs"] += 1
        row["passed"] += v["passed"]
        row["failed"] += v["failed"]
        for t, n in v["targets"].items():
            row["targets"][t] = row["targets"].get(t, 0) + n
    return [[k, r["family"], r["label"], r["configs"], r["targets"], r["passed"], r["failed"]] for k, r in folded.items()]


SOURCE_HEADER = ["source", "family", "read", "quarantined", "dropped", "released", "tasks released", "loss", "limit",
                 "status"]


def source_rows(card: dict[str, Any]) -> list[list[Any]]:
    """The funnel per recipe source, then per source dataset / reasoning-gym family within it (loss is
    counted in tasks: a step may release several records per task, a trace and a pair from one set)."""
    acc = card["funnel"]["by_source"]
    if acc.get("status") != "recorded":
        return []
    rows = []
    for row in [*acc["sources"], *acc["units"]]:
        name = row.get("name") or row["dataset"]
        status = row["status"] + (f" ({row['allowed_by']})" if row.get("allowed_by") else "")
        rows.append([name, row.get("family") or "", row["read"], row["quarantined"], row.get("dropped", {}),
                     row["released"], row["released_tasks"], f"{row['loss']:.1%}", f"{row['limit']:.0%}", status])
    return rows


def loss_lines(card: dict[str, Any]) -> list[str]:
    """The loss floor, every loss the recipe allows (with what it applied to), failures and the
    tasks kept with no gold check, one line of plain text each."""
    acc = card["funnel"]["by_source"]
    if acc.get("status") != "recorded":
        return [f"per-source accounting: {acc.get('status', 'unknown')} ({acc.get('reason', '')})"]
    lines = [f"loss floor: a source or family may lose at most {acc['max_loss']:.0%} of what it read"]
    lines += [f"allowed loss: {a['name']} up to {a['allow_loss']:.0%} (lost {a['loss']:.1%}; applies to "
              f"{plain(a['applies_to'])})" for a in acc["allowed_losses"]]
    lines += [f"allowance naming nothing in this build: {name}" for name in acc.get("unused_allowances", [])]
    lines += [f"over the floor: {failure}" for failure in acc["failures"]]
    lines.append(f"gold check: {acc['gold_unchecked']:,} kept unchecked (meta gold: unchecked; nothing the source gives "
                 f"could be run against their verifier)")
    return lines


def gold_counts(card: dict[str, Any]) -> dict[str, int]:
    """Released records per gold-check outcome (`meta.gold`: what the gold check ran, or unchecked)."""
    acc = card["funnel"]["by_source"]
    totals: dict[str, int] = {}
    for unit in acc.get("units", []):
        for label, n in unit["gold"].items():
            totals[label] = totals.get(label, 0) + n
    return dict(sorted(totals.items()))


def render_markdown(card: dict[str, Any]) -> str:
    v, r, f = card["verification"], card["recipe"], card["funnel"]
    lines = [f"# {md_text(card['name'])} — release card", ""]
    lines += ["## TL;DR", "", md_text(card["description"]), "",
              f"- records: {card['records']:,}; contract: {fmt(v['contract'])}; granularity: {fmt(v['granularity'])}; "
              f"training use: {fmt(v['training_use'])}",
              f"- licence: {fmt(card['license'])}; created {fmt(card['date_created'])}; version {fmt(card['version'])}",
              f"- {len(card['missing'])} field(s) still unknown (listed under Known limitations)", ""]
    lines += ["## Why this matters", "", fmt(card["motivation"]), ""]
    lines += ["## What is the data object?", ""]
    lines += table(["kind", "records"], [[k, n] for k, n in card["objects"]["by_kind"].items()])
    lines += table(["released part", "present"], [[k, x] for k, x in card["released"].items()])
    lines += table(["domain", "records"], [[k, n] for k, n in card["objects"]["by_domain"].items()])
    lines += ["## Verification contract", "", f"- contract: **{fmt(v['contract'])}** (families: {fmt(v['families'])})",
              f"- supervision granularity: {fmt(v['granularity'])} ({fmt(v['granularity_by_kind'])})",
              f"- coverage: {v['records_with_verdicts']:,} of {card['records']:,} records carry at least one verdict",
              f"- gold check (what the source's own answer was checked with): {fmt(gold_counts(card))}", ""]
    lines += table(["verifier", "family", "label source", "configs", "targets", "passed", "failed"], verifier_rows(card))
    lines += episode_outcome_lines(v)
    lines += ["### Verifier cards", ""] + _verifier_cards(card)
    lines += ["## Construction recipe", "", f"Recipe digest {md_code(r['digest'])}, seed {fmt(r['seed'])}.", "",
              "### Prompt sources", ""]
    lines += table(["dataset", "revision", "licence", "records"],
                   [[s["dataset"], s["revision"], s["license"], s["records"]] for s in r["prompt_sources"]])
    lines += [f"- generator / teacher: {fmt(r['generator'])}", f"- trace writer: {fmt(r['trace_writer'])}",
              f"- search substrate: {fmt(r['search'])}", f"- self-play anchor: {fmt(r['self_play_anchor'])}",
              f"- budget: {fmt(r['budget'])}", "", "### Funnel", "",
              f"{f['read']:,} records read, {f['quarantined']:,} quarantined, {f['rejected']:,} rejected with a reason, "
              f"{f['released']:,} released.", ""]
    lines += table(["stage", "step", "params", "in", "out", "dropped"],
                   [[s["stage"], s["step"], s["params"], s["in"], s["out"], s["dropped"]] for s in f["steps"]])
    lines += table(["drop reason", "records"], [[k, n] for k, n in f["dropped_by_reason"].items()])
    lines += ["### Funnel per source", ""] + [f"- {md_text(line)}" for line in loss_lines(card)] + [""]
    lines += table(SOURCE_HEADER, source_rows(card))
    p = card["pass_rate"]
    lines += ["### Pass-rate band", "", f"- band: {fmt(p['band'])} ({fmt(p['status'])}); filter: {fmt(p['filter'])}",
              f"- conditioning: {fmt(p['conditioning'])}",
              f"- posterior intervals: {md_text(describe_posteriors(p.get('posterior')))}", ""]
    lines += ["## How it can be used", "", f"- training use (from the record shapes): {fmt(v['training_use'])}",
              f"- trainer exports written: {fmt(v['trainer_exports'])}",
              f"- what every exported prompt carries (system prompt, instruction): {fmt(card['recipe'].get('prompt_format'))}",
              f"- intended uses: {fmt(card['intended_uses'])}", f"- out-of-scope uses: {fmt(card['out_of_scope_uses'])}", ""]
    lines += ["## Audit checklist", ""] + [f"- [{'x' if done else ' '}] {md_text(text)}" for done, text in checklist(card)] + [""]
    if card.get("literature"):  # cards computed before the atlas link have none
        lines += [literature_markdown(card["literature"], md_text, md_code)]
    lines += ["## Known limitations", "", f"- biases: {fmt(card['biases'])}", f"- maintenance: {fmt(card['maintenance'])}"]
    lines += [f"- {md_text(line)}" for line in loss_lines(card)[1:]]
    for vc in card["verifier_cards"]:
        if vc.get("available"):
            lines.append(f"- {md_code(vc['id'])} may accept wrong answers: {fmt(vc['known_false_positives'])}; "
                         f"may reject right ones: {fmt(vc['known_false_negatives'])}")
    lines += ["", "Still unknown (fill with `reasonledger card set KEY VALUE --run RUN`):", ""]
    lines += [f"- {md_code(field)}" for field in card["missing"]] or ["- nothing"]
    lines += ["", "## Links", "", "- machine-readable card: `card.json` (schema: `card.schema.json` in the package)",
              "- audit report: `report.html`; Croissant 1.1 + RAI: `croissant.json`; Hub card: `README.md`",
              "- data manifest: `../data/manifest.json`; run log: `../runlog.jsonl`",
              f"- url: {fmt(card['url'])}; citation: {fmt(card['citation'])}", ""]
    return "\n".join(lines)

