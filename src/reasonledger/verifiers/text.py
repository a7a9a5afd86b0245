"""Exact and normalised text match, with multiple-choice letters: the cheapest honest verifier."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from reasonledger.records.model import Verdict
from reasonledger.verifiers.answers import Extracted, extract_answer
from reasonledger.verifiers.base import Verifier

# how a short final answer may be written, tried in this order (verifiers.answers): <answer> tags,
# \boxed{}, "the answer is", "Answer:", "####", else the whole text. Not `final_line`: it reads a
# number out of a line, which cuts answers that are not numbers ("01:45:29.840" -> "29.840",
# "6.00i" -> "6.00"; benchmarks/cards_calibration.py measured it).
ANSWER_RULES = ("answer_tag", "boxed", "answer_is", "answer_colon", "hashes", "bare")
# a whole response that declines to answer ("I don't know.", "No idea", "I'm not sure") states no answer:
# taken as a bare answer it would earn what a scorer gives any text (countdown 0.01, spell_backward
# per-letter credit)
_REFUSAL = re.compile(
    r"\W*(?:i\s*)?(?:(?:do|can)\s*(?:not|n't)\s+(?:know|tell|say)|cannot\s+(?:know|tell|say)|(?:have\s+)?no\s+idea"
    r"|(?:am|'m)\s+not\s+sure|not\s+sure)\b[^\n]{0,40}$",
    re.IGNORECASE,
)
_CHOICE = re.compile(r"^\(?([A-Za-z])[).:]?(?:\s|$)")


def normalise(text: str, case_sensitive: bool = False) -> str:
    """NFKC, trimmed, inner whitespace collapsed, outer quotes, `$` and a final period removed."""
    text = unicodedata.normalize("NFKC", text).strip()
    text = re.sub(r"\s+", " ", text)
    text = text.strip("$").strip().strip("\"'`").strip()
    text = text.rstrip(".").strip()
    return text if case_sensitive else text.casefold()


def final_answer(response: str) -> Extracted:
    """The answer a response states, by `ANSWER_RULES`; a bare refusal states none."""
    found = extract_answer(response, ANSWER_RULES)
    if found.rule == "bare" and found.answer is not None and _REFUSAL.match(found.answer):
        return Extracted(None, "refusal")
    return found


def reference_answers(reference: Any) -> list[str]:
    """A reference is a string, a list of accepted strings, or a dict with `answer` or `answers`."""
    if isinstance(reference, dict):
        reference = reference.get("answers", reference.get("answer"))
    if isinstance(reference, (list, tuple)):
        return [str(r) for r in reference]
    if reference is None:
        raise ValueError("reference has no answer")
    return [str(reference)]


class ExactMatchVerifier(Verifier):
    """Passes when the extracted answer equals a reference answer after normalisation.

    The answer is read with `ANSWER_RULES` (`final_answer`); the verdict's evidence names the rule.

    Config: `case_sensitive` (default false); `choice` (default false): compare only the leading
    option letter of each side, for multiple-choice answers like "(B) 42".
    """

    id = "exact"
    version = "2.0.0"
    family = "programmatic"

    def verify(self, reference: Any, response: str) -> Verdict:
        case_sensitive = bool(self.config.get("case_sensitive", False))
        found = final_answer(response)
        got = normalise(found.answer or "", case_sensitive)
        golds = [normalise(g, case_sensitive) for g in reference_answers(reference)]
        if self.config.get("choice"):
            got, golds = _letter(got), [_letter(g) for g in golds]
        passed = bool(got) and got in golds
        return self.verdict(passed, extracted=found.answer, rule=found.rule, normalised=got, references=golds,
                            reason=None if passed else ("empty answer" if not got else "no reference matches"))

    def card(self) -> dict[str, Any]:
        return {**super().card(),
                "formats": {"reference": "string, list of strings, or {answer|answers}",
                            "response": "text; the final answer by the first extraction rule that fires: "
                                        + ", ".join(ANSWER_RULES) + " (reasonledger.verifiers.answers)"},
                "native_signal": "boolean: normalised answer equals a reference (score 1.0 or 0.0)",
                "known_false_negatives": ["equivalent answers written differently (2 vs 2.0, 1/2 vs 0.5): use `math`"],
                "known_false_positives": ["none by construction beyond normalisation (case, whitespace, outer quotes, final period)"]}


def _letter(text: str) -> str:
    match = _CHOICE.match(text)
    return match.group(1).casefold() if match else text
