"""The math verifier's card, as JSON and Markdown, built from code and from measured calibration.

What it checks, the formats, the known failure modes and the limits are stated here next to the
code they describe; every number about agreement or speed is read from `calibration.json`, which
`benchmarks/math_verify_bench.py` writes. No measured figure is typed in this file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from reasonledger.verifiers.math.equivalence import PRECISION_RULES
from reasonledger.verifiers.math.forms import FORM_RULES

CALIBRATION = Path(__file__).with_name("calibration.json")

CHECKS = ("the final answer in a model's response is mathematically equal to the reference answer: "
          "numbers, fractions, radicals, constants, expressions, tuples, intervals, sets, equations, "
          "inequalities, matrices and multiple-choice letters")

FORMATS = {
    "reference": "a string (a bare answer or a whole solution; its boxed or final answer is used) or a dict "
                 "with one of the keys answer, final_answer, reference, solution, target, gold",
    "response": "free-form model output; only the text after the last </think> is read, and a response whose "
                "<think> is never closed has no answer",
    "extraction_rules": ["shared with every verifier and audit (reasonledger.verifiers.answers); among the markers "
                         "the one ending last wins",
                         "answer_tag: <answer>...</answer>", "boxed: \\boxed{} and \\fbox{}, nested "
                         "braces, adjacent boxes joined by and/or/commas; a negated box ('not \\boxed{3}') is skipped",
                         "answer_is: 'the answer is', 'final answer is'", "answer_colon: 'Answer:', 'Final answer:'",
                         "hashes: '#### 42'", "final_line: a last line that is an answer statement (all math, or "
                         "a number or math linked by 'is', '=', ':', 'are', 'Therefore ...'); never a number walked "
                         "back to, never a negated or hedged statement ('somewhere between 2 and 4')",
                         "reference: a short reference is taken whole",
                         "choice letters: boxed, after 'answer is', at a line start, or standing alone"],
    "notation": ["LaTeX (\\frac, \\sqrt[n], \\left/\\right, \\text, \\mathrm, \\cdot, \\times, \\pm, \\infty, \\pi, e, i, "
                 "degrees, \\%, thousands separators 1{,}000 and 1,\\!000, scientific notation, repeating decimals)",
                 "plain text (2^3, **, sqrt(), pi, decimal commas like 2,74 in prose)", "tuples, intervals, unions, "
                 "sets, lists, x = 3, x \\in [a, b], chains a < x <= b, matrices (pmatrix, bmatrix, array), units",
                 "set-builder {x | ...} and set differences, inequalities joined by 'or', ratios a:b, A \\approx d, "
                 "mixed numbers, degrees and minutes, circled and full-width digits, HTML <sup>/<sub> (see the rules below)"],
}

NATIVE_SIGNAL = "boolean (score 1.0 or 0.0) with evidence: extracted texts and rules, normalised forms, deciding method, reason"

METHODS = ["exact_string", "normalized_string", "structural", "exact_rational", "rounded_decimal", "rounded_reference", "numeric",
           "random_points", "set", "ordered", "labels", "interval", "relation", "matrix", "text", "choice", "units",
           "symbolic (sympy in a killable worker)", "limits (pathological input)", "timeout"]

KNOWN_FALSE_POSITIVES = [
    "a decimal correctly rounded to >= 5 significant digits is accepted for an exact irrational or repeating value "
    "(2.6667 for 8/3, 3.1416 for pi); 3.14 for pi and 0.33 for 1/3 are not",
    "two closed forms that agree to 15 significant digits at 60-digit precision are taken as equal",
    "identities with free symbols are decided at 6 random points (exact rationals when possible): a non-identity "
    "that vanishes at all of them would pass (probability negligible for non-adversarial answers)",
    "units stated on one side only are dropped (5 cm matches 5; degrees too, so 90^\\circ matches 90); when both "
    "sides state measurement units they must be the same unit (5 cm fails 5 m); counting nouns (5 apples) are not compared",
    "a percentage matches both its number and its fraction: 28% matches 28 and 0.28",
    "labels of functions ignore argument names: W(n) = 1 matches W(x) = 1",
    "`a = b` with constants on both sides is read as the value b (1/2 = 10/9 answers 10/9)",
    "a decimal reference with >= 3 significant digits accepts an exact response within half a unit of its last digit "
    "(rule reference_rounded): 22/7 passes a reference 3.14, since the reference states no more precision",
    "named values (p=3, q=4) against bare values are read in the order named; a response that lists them in another "
    "order on purpose fails, and one that happens to match the order passes",
    "an integer followed by a proper fraction of integers, as a whole item, is a mixed number: 2\\frac{1}{2} is 5/2, never 1",
]

KNOWN_FALSE_NEGATIVES = [
    "answers outside the parser: integrals, limits, piecewise functions, words with meaning (\"infinitely many\", "
    "\"the round trip\") - they pass only when equal as normalised strings; no rule can judge a sentence: the "
    "optional model fallback (config `fallback`, a judge spec; off by default) asks a judge for these, its verdicts "
    "marked label_source judge; its agreement is measured on the judge's own card, not here",
    "set-builder sets are solved only for conditions in one variable that bound a linear term or |x| (or x != a)",
    "a decimal response is not rounded to a less precise decimal reference: 85.714 fails 85.71 (only exact responses are)",
    "final-line extraction reads only the last sentence of the last line, and only when it is an answer statement: "
    "a correct number in a final line like 'I counted 12 in the box' is not read",
    "answers in other units are not converted: 500 cm fails 5 m",
    "an integer reference is matched exactly: a decimal must equal it (2000000.0), never within a tolerance",
    "labels are strict: x = 1 does not match y = 1 (f(x) does not match f(y))",
    "a bare comma list in plain prose with one comma and not 3 digits after it is a decimal (2,5 is 2.5)",
    "`(a, b)` matches both a pair and an open interval; `[a, b]` is an interval, never a list",
    "pathological inputs are rejected, not evaluated: answers over the length, nesting, token, item, power, "
    "factorial and term limits fail with the reason in the evidence",
    "sympy is reached only when nothing cheaper decides; if it needs more than the time limit the check fails "
    "with method symbolic_timeout",
]


def load_calibration(version: str | None = None) -> list[dict[str, Any]] | str:
    """Measured runs (for this version when given), or "unknown" when the benchmark has not run."""
    if not CALIBRATION.is_file():
        return "unknown"
    runs = json.loads(CALIBRATION.read_text(encoding="utf-8")).get("runs", [])
    if version is not None:
        runs = [r for r in runs if r.get("version") == version]
    return runs or "unknown"


def build_card(verifier: Any, base: dict[str, Any]) -> dict[str, Any]:
    """The card of a MathVerifier instance (its config and limits included)."""
    return {
        **base,
        "checks": CHECKS,
        "formats": FORMATS,
        "native_signal": NATIVE_SIGNAL,
        "methods": METHODS,
        "time_bound": f"every check returns within timeout={verifier.config['timeout']} s from any thread or process; "
                      "sympy runs in a subprocess that is killed when late (its one-off start-up is not billed)",
        "limits": asdict(verifier.limits),
        "tolerance": {"rel_tol": verifier.config["rel_tol"], "exact_rel_tol": verifier.config["exact_rel_tol"],
                      "note": "relative only: |a - b| <= tol * max(|a|, |b|), and only for a decimal against a "
                               "non-integer reference; exact rationals are compared exactly, an integer reference "
                               "admits no tolerance"},
        "precision_rules": PRECISION_RULES,
        "form_rules": FORM_RULES,
        "known_false_positives": KNOWN_FALSE_POSITIVES,
        "known_false_negatives": KNOWN_FALSE_NEGATIVES,
        "calibration": load_calibration(verifier.version),
    }


def card_json(card: dict[str, Any]) -> str:
    return json.dumps(card, indent=2, ensure_ascii=False, default=str) + "\n"


def card_markdown(card: dict[str, Any]) -> str:
    """The card as Markdown; calibration tables come from the measured runs."""
    lines = [f"# Verifier card: `{card['id']}` {card['version']} ({card['family']})", "",
             f"**Checks:** {card['checks']}.", "", f"**Signal:** {card['native_signal']}.", "",
             f"**Time bound:** {card['time_bound']}.", "", "## Formats", ""]
    lines += [f"- reference: {card['formats']['reference']}", f"- response: {card['formats']['response']}", "",
              "Extraction rules (the one that fired is recorded in the evidence):", ""]
    lines += [f"- {r}" for r in card["formats"]["extraction_rules"]]
    lines += ["", "Notation understood:", ""] + [f"- {n}" for n in card["formats"]["notation"]]
    lines += ["", "## Methods, cheapest first", "", ", ".join(f"`{m}`" for m in card["methods"]), "",
              "## Limits", "", "| limit | value |", "|---|---|"]
    lines += [f"| {k} | {v:,} |" for k, v in card["limits"].items()]
    lines += ["", f"Tolerance: rel_tol={card['tolerance']['rel_tol']}, exact_rel_tol={card['tolerance']['exact_rel_tol']} "
              f"({card['tolerance']['note']}).", "", "## Precision and form rules", "",
              "Each rule that accepts a comparison is named in the verdict's evidence (`precision_rules`, `forms`).", ""]
    lines += [f"- `{k}`: {v}" for k, v in {**card["precision_rules"], **card["form_rules"]}.items()]
    lines += ["", "## Known false positives", ""]
    lines += [f"- {x}" for x in card["known_false_positives"]]
    lines += ["", "## Known false negatives", ""] + [f"- {x}" for x in card["known_false_negatives"]]
    lines += ["", "## Measured agreement", ""]
    cal = card["calibration"]
    if not isinstance(cal, list):
        lines.append("unknown: run `python benchmarks/math_verify_bench.py` to measure it.")
    else:
        lines += ["| set | n | agreement | false positives | false negatives | math-verify agreement | command |",
                  "|---|---|---|---|---|---|---|"]
        for run in cal:
            lines.append(f"| {run['set']} | {run['n']} | {run['agreement']:.2%} | {run['false_positives']} | "
                         f"{run['false_negatives']} | {_pct(run.get('math_verify_agreement'))} | `{run['command']}` |")
        speed = [r for r in cal if r.get("throughput")]
        for run in speed:
            t = run["throughput"]
            lines += ["", f"Throughput on {t['set']} ({t['n']} pairs, {t['cores']} cores): "
                      f"{t['pairs_per_s']:,.0f} pairs/s with verify_many; one core {t['single_core_pairs_per_s']:,.0f} pairs/s, "
                      f"latency p50 {t['p50_ms']:.2f} ms, p99 {t['p99_ms']:.2f} ms; math-verify "
                      f"{t['math_verify_pairs_per_s']:,.1f} pairs/s in the same run."]
    return "\n".join(lines) + "\n"


def _pct(x: Any) -> str:
    return f"{x:.2%}" if isinstance(x, (int, float)) else "n/a"


def write_card_files(verifier: Any, folder: Path | None = None) -> tuple[Path, Path]:
    """Write card.json and card.md beside this module (or into `folder`)."""
    folder = folder or Path(__file__).parent
    card = verifier.card()
    j, m = folder / "card.json", folder / "card.md"
    j.write_text(card_json(card), encoding="utf-8")
    m.write_text(card_markdown(card), encoding="utf-8")
    return j, m
