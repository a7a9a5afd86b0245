"""report.html: the card's sections and the funnel as plots, in one self-contained file (laid out by
html_report.py, as the audit's audit.html is)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from reasonledger.atlas.cite import html_block as literature_html
from reasonledger import charts
from reasonledger.cards.markdown import SOURCE_HEADER, calibration_lines, checklist, loss_lines, plain, source_rows, verifier_rows
from reasonledger.html_report import page, section, table


def _plain(value: Any) -> str:
    """A card value as plain text (escaped for HTML where it is placed)."""
    return value if isinstance(value, str) else plain(value)


def _cell(value: Any) -> str:
    text = escape(_plain(value))
    return f'<span class="unknown">{text}</span>' if value == "unknown" else text


def _table(header: list[str], rows: list[list[Any]]) -> str:
    return table(header, rows, _cell)


def _funnel_bars(card: dict[str, Any]) -> list[tuple[str, float]]:
    f = card["funnel"]
    bars = [("read from sources", float(f["read"]))]
    bars += [(f"after {s['step']}", float(s["out"])) for s in f["steps"]]
    return bars + [("released", float(f["released"]))]


def figures(card: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The card's charts by name: (title, inline SVG, or a note when there is nothing to plot)."""
    f, p = card["funnel"], card["pass_rate"]
    return {
        "funnel": ("Construction funnel", charts.hbars(_funnel_bars(card), "cycle")),
        "drops": ("Drops by reason", charts.hbars([(k, float(n)) for k, n in f["dropped_by_reason"].items()], charts.FAIL)),
        "verdicts": ("Verdicts per verifier", charts.stacked([(row[0], row[5], row[6]) for row in verifier_rows(card)])),
        "kinds": ("Released records by kind", charts.hbars([(k, float(n)) for k, n in card["objects"]["by_kind"].items()], "cycle")),
        "domains": ("Released records by domain",
                    charts.hbars([(k, float(n)) for k, n in card["objects"]["by_domain"].items()], "cycle")),
        "pass_rate": ("Per-prompt pass rates", charts.histogram(p.get("histogram", {}).get("counts", []))),
    }


def render_report(card: dict[str, Any]) -> str:
    v, f, p = card["verification"], card["funnel"], card["pass_rate"]
    drawn = {name: chart for name, (_, chart) in figures(card).items()}
    kpis = [("records", f"{card['records']:,}"), ("contract", v["contract"]), ("granularity", v["granularity"]),
            ("verdict coverage", f"{v['coverage']:.0%}"), ("rejected", f"{f['rejected']:,}"),
            ("unknown fields", str(len(card["missing"])))]
    checks = "".join(f'<li><span class="{"done" if done else "open"}">{"✔" if done else "✘"}</span> {escape(_plain(text))}</li>'
                     for done, text in checklist(card))
    audit = card["audit"]
    audit_rows = [[name, values] for name, values in audit.get("sections", {}).items()]
    dedup, cont = card["dedup"], card["contamination"]
    bench = cont["benchmarks"] if isinstance(cont["benchmarks"], list) else []
    body = [
        section("TL;DR", f"<p>{escape(card['description'])}</p>",
                 '<div class="kpis">' + "".join(f'<div class="kpi">{escape(k)}<b>{escape(x)}</b></div>' for k, x in kpis) + "</div>"),
        section("Construction funnel", drawn["funnel"], "<h3>Drops by reason</h3>", drawn["drops"],
                 _table(["stage", "step", "params", "in", "out", "dropped"],
                        [[s["stage"], s["step"], s["params"], s["in"], s["out"], s["dropped"]] for s in f["steps"]])),
        section("Funnel per source", "<ul>" + "".join(f"<li>{escape(_plain(line))}</li>" for line in loss_lines(card)) + "</ul>",
                 _table(SOURCE_HEADER, source_rows(card))),
        section("Verification", f"<p>Contract <b>{escape(v['contract'])}</b>, granularity <b>{escape(v['granularity'])}</b>, "
                                 f"training use {escape(_plain(v['training_use']))}.</p>",
                 drawn["verdicts"],
                 _table(["verifier", "family", "label source", "configs", "targets", "passed", "failed"], verifier_rows(card)),
                 _table(["verifier", "version", "native signal", "known false positives", "known false negatives", "calibration"],
                        [[c["id"], c.get("version", "unknown"), c.get("native_signal", "unknown"),
                          c.get("known_false_positives", "unknown"), c.get("known_false_negatives", "unknown"),
                          "; ".join(calibration_lines(c.get("calibration", "unknown")))] for c in card["verifier_cards"]])),
        section("Released objects", drawn["kinds"], drawn["domains"],
                 _table(["part", "released"], [[k, x] for k, x in card["released"].items()])),
        section("Pass-rate band", f"<p>Band {escape(_plain(p['band']))} ({escape(p['status'])}); conditioning "
                                   f"{escape(_plain(p['conditioning']))}.</p>",
                 drawn["pass_rate"]),
        section("Audit checklist", f"<ul>{checks}</ul>",
                 "<h3>Deduplication</h3>", _table(["check", "status", "method", "result"], [
                     ["exact", dedup["exact"]["status"], dedup["exact"]["method"],
                      f"{dedup['exact']['dropped']:,} dropped, {dedup['exact']['unique_prompts']:,} unique prompts"],
                     ["near", dedup["near"]["status"], dedup["near"].get("method", "unknown"), dedup["near"].get("flagged", "unknown")]]),
                 "<h3>Contamination</h3>", _table(["benchmark", "revision", "method", "flagged"],
                                                  [[b["name"], b["revision"], b["method"], b["flagged"]] for b in bench])
                 if bench else f"<p>Status: {escape(cont['status'])}</p>",
                 "<h3>Audit sections</h3>", _table(["section", "summary"], audit_rows) if audit_rows
                 else f"<p>{escape(audit.get('hint', 'no audit'))}</p>"),
        literature_html(card["literature"]) if card.get("literature") else "",
        section("Sources and licences", _table(["dataset", "revision", "licence", "records"],
                 [[s["dataset"], s["revision"], s["license"], s["records"]] for s in card["recipe"]["prompt_sources"]])),
        section("Manifest", _table(["file", "rows", "sha256"], [[s["file"], s["rows"], s["sha256"]]
                                                               for s in card["manifest"]["data"]["shards"]])),
        section("Still unknown", "<ul>" + "".join(f"<li><code>{escape(m)}</code></li>" for m in card["missing"]) + "</ul>"
                 if card["missing"] else "<p>nothing</p>"),
    ]
    data = json.dumps({"name": card["name"], "records": card["records"], "missing": card["missing"]})
    return page(f"{card['name']} — audit report", card["name"],
                f"Release audit report · {card['generated_by']} · created {card['date_created']}", body, data=data)
