"""audit.json, audit.md and a self-contained audit.html (charts as inline SVG drawn by charts.py, as the
card's report.html draws its own; no network needed; laid out by html_report.py)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any


from reasonledger import charts
from reasonledger.atlas.cite import cite_audit, html_block as literature_html, markdown as literature_markdown
from reasonledger.html_report import AUDIT_STYLE, STYLE, page, pairs_table, section, table
from reasonledger.records.parquet import write_json_atomic

TITLES = {
    "contamination": "Contamination against benchmarks",
    "near_duplicates": "Near-duplicates",
    "exact_duplicates": "Exact duplicates",
    "difficulty": "Difficulty from rollouts",
    "length_trap": "Length trap",
    "trace_answer_consistency": "Trace–answer consistency",
    "verifier_agreement": "Verifier agreement",
    "lineage_completeness": "Lineage completeness",
    "agent_failures": "Agent failures",
    "mixture": "Source mixture and coverage",
}


def headline(name: str, section: dict[str, Any]) -> str:
    """One line per section, for the summary tables."""
    if section.get("applicable") is False:
        return f"not applicable: {section.get('reason', 'nothing to measure')}"
    if name == "contamination":
        if section.get("method") == "not run":
            return "not run: no benchmark given"
        per = ", ".join(f"{k}: {v:,}" for k, v in section["by_benchmark"].items())
        return f"{section['flagged']:,} of {section['records_checked']:,} records flagged ({per})"
    if name == "near_duplicates":
        return (f"{section['flagged']:,} records beyond the first of {section['clusters']:,} clusters "
                f"(Jaccard >= {section['threshold']}, {section['verified_pairs']:,} verified pairs); "
                f"{len(section.get('template_clusters', [])):,} template clusters (shared instructions, not flagged)")
    if name == "exact_duplicates":
        return f"{section['flagged']:,} records repeat a prompt ({section['groups']:,} groups)"
    if name == "difficulty":
        c, band = section["conditioning"], section["band"]
        return (f"{band['share']:.1%} of {section['prompts']:,} prompts in pass-rate band [{band['low']}, {band['high']}] "
                f"(mean pass rate {section['mean_pass_rate']:.3f}); policy {', '.join(c['policy'])}; "
                f"n {', '.join(c['n'])}; temperature {', '.join(c['temperature'])}; verifier {c['verifier']}")
    if name == "length_trap":
        return _length_trap_headline(section)
    if name == "trace_answer_consistency":
        return (f"{section['inconsistent']:,} of {section['checked']:,} traces state another answer; "
                f"{section['answer_without_trace']:,} answers without a trace")
    if name == "verifier_agreement":
        parts = []
        for p in section["pairs"]:
            text = f"{p['a']} vs {p['b']}: agreement {p['agreement']:.2%} on {p['compared']:,}"
            if p.get("against_label"):
                lab = p["against_label"]
                text += f" (vs label: FN rate {lab['false_negative_rate']}, FP rate {lab['false_positive_rate']})"
            parts.append(text)
        return "; ".join(parts)
    if name == "lineage_completeness":
        return (f"{len(section['incomplete_sources'])} of {len(section['by_source'])} sources miss provenance fields"
                if section["incomplete_sources"] else "every source has every provenance field")
    if name == "agent_failures":
        outcomes = ", ".join(f"{k} {v:,}" for k, v in section["outcomes"].items())
        calls = ", ".join(f"{k} {v:,}" for k, v in section["failed_calls"].items()) or "none"
        return (f"{section['flagged']:,} of {section['judged']:,} replayed episodes failed ({outcomes}); "
                f"failed calls: {calls}")
    if name == "mixture":
        return f"{section['records']:,} records from {len(section['by_source'])} source(s), {len(section['by_task_family'])} task family(ies)"
    return "; ".join(f"{k}: {v}" for k, v in section.items() if isinstance(v, (str, int, float, bool)))  # a plugin's section


def titles(result: dict[str, Any]) -> dict[str, str]:
    """The sections present: reasonledger's in report order, then a plugin's under its own name."""
    found = {k: v for k, v in TITLES.items() if k in result}
    found.update({k: k.replace("_", " ").capitalize() for k, v in result.items()
                  if k not in TITLES and k != "config" and isinstance(v, dict)})
    return found


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def _length_trap_headline(section: dict[str, Any]) -> str:
    """Within-prompt effect first (what the flag reads), the pooled figure beside it, labelled."""
    o = section["overall"]
    within, pooled = o["within_prompts"], o["pooled"]
    tail = (f"pooled r = {_signed(pooled['r'])} (across prompts, confounded by difficulty) over "
            f"{o['attempts']:,} attempts ({section['verifier']})")
    if section["trap"]:
        lead = f"TRAP: within the same prompt, longer attempts are the wrong ones ({', '.join(section['flagged'])})"
    elif within["status"] != "measured":
        return f"no flag: {within['reason']}; {tail}"
    logit = within.get("conditional_logit") or {}
    if not section["trap"]:
        lead = "no trap within prompts" if logit.get("fitted") else "no flag"
    if logit.get("fitted"):
        lead += (f"; within prompts: log odds ratio {_log_odds(logit)} per SD of length "
                 f"(p = {logit['p']:.2g}, Holm {within.get('p_holm', logit['p']):.2g}), demeaned r = {_signed(within['r'])}, "
                 f"{within['informative_prompts']:,} informative prompts")
    elif within["status"] == "measured":
        lead += (f"; within prompts: demeaned r = {_signed(within['r'])} over {within['informative_prompts']:,} informative "
                 f"prompts, not tested ({logit['reason']})")
    return f"{lead}; {tail}"


def _log_odds(logit: dict[str, Any]) -> str:
    """The estimate with its interval, or `unbounded` and its direction when length separates the outcomes."""
    if logit["log_odds_ratio_per_sd"] is None:
        return f"unbounded ({logit['direction']}; separation)"
    interval = logit["interval"]
    return f"{logit['log_odds_ratio_per_sd']:+.3f}" + (f" [{interval[0]:+.3f}, {interval[1]:+.3f}]" if interval else "")


def write_json(result: dict[str, Any], out: Path) -> Path:
    path = Path(out) / "audit.json"
    write_json_atomic(result, path)
    return path


def render_markdown(result: dict[str, Any]) -> str:
    lines = ["# Data audit", "", f"{result['records']:,} records.", "", "| audit | result |", "|---|---|"]
    lines += [f"| {title} | {headline(k, result[k])} |" for k, title in titles(result).items()]
    contamination = result.get("contamination", {})
    if contamination.get("benchmarks"):
        lines += ["", "## Contamination", "", "| benchmark | revision | items | flagged records |", "|---|---|---|---|"]
        lines += [f"| {b['name']} | {b['revision'] or 'unknown'} | {b['items']:,} | {b['flagged']:,} |"
                  for b in contamination["benchmarks"].values()]
    trap_rows = [_trap_row(label, group) for label, group in _trap_groups(result.get("length_trap", {}))]
    if trap_rows:
        lines += ["", "## Length trap", "", "| " + " | ".join(trap_rows[0]) + " |", "|" + "---|" * len(trap_rows[0])]
        lines += ["| " + " | ".join(str(v) for v in row.values()) + " |" for row in trap_rows]
        lines += ["", f"Flag rule: {result['length_trap']['flag_rule']}."]
    lineage = result.get("lineage_completeness", {}).get("by_source")
    if lineage:
        lines += ["", "## Lineage completeness", "", "| source | records | missing fields |", "|---|---|---|"]
        lines += [f"| {s} | {v['records']:,} | {', '.join(f'{f} ({n:,})' for f, n in v['missing'].items()) or '—'} |"
                  for s, v in lineage.items()]
    lines += ["", literature_markdown(cite_audit(result))]  # what the literature found on these findings
    lines += ["", "Every parameter used is under `config` in audit.json.", ""]
    return "\n".join(lines)


def plots(result: dict[str, Any], points: Any = None, point_sources: list[str] | None = None) -> dict[str, str]:
    """Section name -> inline SVG chart (charts.py, as the card's report.html draws its own)."""
    out: dict[str, str] = {}
    difficulty = result.get("difficulty", {})
    if difficulty.get("applicable"):
        band = difficulty["band"]
        out["difficulty"] = charts.histogram(difficulty["histogram"]["counts"], band=(band["low"], band["high"]),
                                             xlabel=f"pass rate ({difficulty['conditioning']['verifier']}); "
                                                    f"shaded: the band [{band['low']}, {band['high']}]")
    trap = result.get("length_trap", {})
    measured = {label: g["within_prompts"] for label, g in _trap_groups(trap) if g["within_prompts"]["status"] == "measured"}
    if trap.get("applicable") and measured:
        series = {f"{label} (within r={_signed(within['r'])})":
                  [((b["from_words"] + b["to_words"]) / 2, b["pass_minus_prompt_rate"]) for b in within["by_deviation"]]
                  for label, within in measured.items()}
        out["length_trap"] = charts.lines(series, "length minus the prompt's mean length (words, quintile midpoints)",
                                          "passed minus the prompt's pass rate", zero=True)
    if points is not None and len(points):
        out["mixture"] = charts.scatter([(float(x), float(y)) for x, y in points[:, :2]], list(point_sources or []),
                                        "PC 1", "PC 2")
    return out


def _table(rows: list[dict[str, Any]], limit: int = 20) -> str:
    """Rows of an audit list (the columns of the first row that are not nested), the first `limit`."""
    keys = [k for k in rows[0] if not isinstance(rows[0][k], (dict, list))] if rows else []
    return table([str(k) for k in keys], [[str(r.get(k, ""))[:300] for k in keys] for r in rows], limit=limit,
                 rest="audit.json")


def _scalars(section: dict[str, Any]) -> str:
    """Scalars and short objects of a section; lists and long objects get their own tables."""
    rows = []
    for key, value in section.items():
        text = json.dumps(value, default=str) if isinstance(value, dict) else str(value)
        if not isinstance(value, list) and len(text) <= 400:
            rows.append((key, text))
    return pairs_table(rows)


def _details(name: str, section: dict[str, Any]) -> str:
    parts = [_scalars(section)]
    if name == "contamination" and section.get("hits"):
        parts.append("<h3>Hits</h3>" + _table([{**h, "matched_span": h["matched_span"]["text"][:160]} for h in section["hits"]], 10))
    if name == "difficulty" and section.get("by_source"):
        parts.append("<h3>By source</h3>" + _table([{"source": k, **v} for k, v in section["by_source"].items()]))
    if name == "length_trap" and section.get("applicable"):
        parts.append(_table([_trap_row(label, group) for label, group in _trap_groups(section)]))
    if name == "verifier_agreement" and section.get("pairs"):
        parts.append(_table([{k: v for k, v in p.items() if not k.startswith("examples")} |
                             ({"FN rate": p["against_label"]["false_negative_rate"], "FP rate": p["against_label"]["false_positive_rate"]}
                              if p.get("against_label") else {}) for p in section["pairs"]]))
        for p in section["pairs"]:
            for side in ("a_only", "b_only"):
                winner = p["a"] if side == "a_only" else p["b"]
                if p[f"examples_{side}"]:
                    parts.append(f"<h3>Passed only by {html.escape(winner)}</h3>" + _table(p[f"examples_{side}"], 5))
    if name == "lineage_completeness":
        parts.append(_table([{"source": k, "records": v["records"], "missing": ", ".join(f"{f} ({n})" for f, n in v["missing"].items()) or "—"}
                             for k, v in section["by_source"].items()]))
    if name == "mixture":
        for key in ("by_source", "by_domain", "by_task_family", "by_kind"):
            parts.append(f"<h3>{key.replace('_', ' ')}</h3>" + _table([{"name": k, **v} for k, v in section[key].items()]))
    if name == "near_duplicates" and section.get("template_clusters"):
        parts.append("<h3>Template clusters: a shared instruction, left out of the similarity (not near-duplicates)</h3>"
                     + _table(section["template_clusters"]))
    if name == "near_duplicates" and section.get("pairs"):
        parts.append("<h3>Verified pairs</h3>" + _table(section["pairs"]))
    return "".join(parts)


def _trap_groups(section: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if not section.get("applicable"):
        return []
    return [("overall", section["overall"]), *((f"source: {k}", v) for k, v in section["by_source"].items()),
            *((f"policy: {k}", v) for k, v in section["by_policy"].items())]


def _trap_row(label: str, group: dict[str, Any]) -> dict[str, Any]:
    """One table row per group: the within-prompt test beside the pooled and between-prompt figures."""
    within = group["within_prompts"]
    logit = within.get("conditional_logit") or {}
    return {"group": label, "attempts": group["attempts"], "prompts": group["prompts"], "accuracy": group["accuracy"],
            "within: status": within["status"], "within: informative prompts": within.get("informative_prompts", "—"),
            "within: demeaned r (p)": f"{_signed(within['r'])} ({within['p']:.2g})" if "r" in within else "—",
            "within: log OR per SD [CI]": _log_odds(logit) if logit.get("fitted") else "not fitted" if logit else "—",
            "within: p (Holm)": f"{logit['p']:.2g} ({within['p_holm']:.2g})" if "p_holm" in within else "—",
            "between prompts r": _signed(group["between_prompts"]["r"]),
            "pooled r (naive p)": f"{_signed(group['pooled']['r'])}" + (f" ({group['pooled']['p']:.2g})"
                                                                       if group["pooled"]["p"] is not None else ""),
            "flagged": group["flagged"]}


def render_html(result: dict[str, Any], images: dict[str, str]) -> str:
    """audit.html, laid out as the card's report.html (html_report.py), with the charts inline."""
    esc = html.escape
    present = titles(result)
    summary = "".join(f'<tr><th><a href="#{esc(k)}">{esc(v)}</a></th><td>{esc(headline(k, result[k]))}</td></tr>'
                      for k, v in present.items())
    body = [section("Summary", f"<table>{summary}</table>")]
    for key, title in present.items():
        image = images.get(key, "")
        body.append(section(title, f"<p>{esc(headline(key, result[key]))}</p>", image, _details(key, result[key]),
                            anchor=key))
    body.append(literature_html(cite_audit(result)))
    body.append(section("Configuration", f"<pre>{esc(json.dumps(result['config'], indent=1))}</pre>"))
    return page("Data audit", "Data audit", f"{result['records']:,} records.", body, style=STYLE + AUDIT_STYLE)


def write_report(result: dict[str, Any], out: Path, points: Any = None, point_sources: list[str] | None = None) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": write_json(result, out), "md": out / "audit.md", "html": out / "audit.html"}
    paths["md"].write_text(render_markdown(result), encoding="utf-8")
    paths["html"].write_text(render_html(result, plots(result, points, point_sources)), encoding="utf-8")
    return paths
