"""The math verifier's optional model fallback (as TinyV does), off unless `fallback` is configured.

Rules decide almost every answer, and no rule may buy recall with false positives. Some answers no
rule can decide: words or sentences ("the round trip" against "More time is required for the round
trip on the river."), a reference the parser cannot read, or a comparison sympy cannot settle (a
response that does not parse, such as one cut off at "41.472+", is malformed, not undecided). Only for those, and
only when the rules said no, the configured `judge` verifier (its whole spec in the math verifier's
config, so the config hash pins it) is asked; its decision becomes the verdict, marked
`label_source: judge` with the judge's model, template hash and request hash beside the rules'
evidence. A numeric answer the rules reject never reaches the judge, and the judge keeps its own gate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from reasonledger.records.model import Verdict
from reasonledger.verifiers.judgment.judge import JudgeVerifier

_LATEX = re.compile(r"\\[a-zA-Z]+")
_WORD = re.compile(r"(?<![a-zA-Z])[a-zA-Z]{3,}")
_MATH_WORDS = frozenset("sin cos tan cot sec csc log exp sqrt max min gcd lcm mod det abs arcsin arccos arctan "
                        "sinh cosh tanh frac text and for all".split())
UNDECIDED = ("parse", "symbolic_timeout", "symbolic_error")


def free_form(text: str | None) -> bool:
    """Does the answer hold words, not only mathematics?"""
    if not text:
        return False
    return any(w.lower() not in _MATH_WORDS for w in _WORD.findall(_LATEX.sub(" ", text)))


def needs_judge(verdict: Verdict, reference: str) -> bool:
    """A rejection the rules could not really decide: a free-form answer or reference (read whole when
    no rule finds an answer in it), or a parse or symbolic comparison that did not settle."""
    if verdict.passed:
        return False
    ev = verdict.evidence
    stated = ev.get("reference_extracted", reference)
    if free_form(stated) or (ev.get("extracted") is not None and free_form(ev["extracted"])):
        return ev.get("method") not in ("limits", "timeout", "error")
    method, reason = ev.get("method"), str(ev.get("reason") or "")
    if method == "parse":  # a reference in a form no rule reads; a response that does not parse is malformed
        return reason.startswith("the reference answer")
    return method in UNDECIDED or (method == "symbolic" and reason.startswith("sympy could not decide"))


def with_fallback(judge: JudgeVerifier, pairs: Sequence[tuple[Any, str]], verdicts: list[Verdict],
                  reference_text: Any) -> list[Verdict]:
    """`verdicts` with every undecided rejection replaced by the judge's decision (one batch of calls)."""
    todo = [i for i, v in enumerate(verdicts) if needs_judge(v, reference_text(pairs[i][0]))]
    if not todo:
        return verdicts
    asked = []
    for i in todo:
        reference, response = pairs[i]
        question = reference.get("question") if isinstance(reference, dict) else None
        answer = verdicts[i].evidence.get("reference_extracted") or reference_text(reference)
        asked.append(({"answer": answer, **({"question": question} if question else {})}, response))
    out = list(verdicts)
    for i, judged in zip(todo, judge.verify_many(asked)):
        rules = verdicts[i]
        keep = ("model", "revision", "template", "template_sha256", "request", "label", "reason", "extracted", "rule")
        evidence = {**rules.evidence, "rules_method": rules.evidence.get("method"),
                    "rules_reason": rules.evidence.get("reason"), "method": "judge_fallback",
                    "fallback": {k: judged.evidence.get(k) for k in keep if k in judged.evidence}}
        evidence.pop("reason", None)
        if not judged.passed:
            evidence["reason"] = f"the rules could not decide and the judge said no ({judged.evidence.get('reason')})"
        out[i] = rules.model_copy(update={"passed": judged.passed, "score": judged.score, "label_source": "judge",
                                          "evidence": evidence})
    return out


__all__ = ["UNDECIDED", "free_form", "needs_judge", "with_fallback"]
