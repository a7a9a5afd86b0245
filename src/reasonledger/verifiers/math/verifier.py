"""`get_verifier("math")`: does the model's final answer equal the reference?

Pipeline of one check: extract the answer from the response (and from the reference, which may
be a whole solution), reject pathological answers by inspection, rewrite answer forms to their value
(`forms.py`: mixed numbers, degrees and minutes, qualifiers, circled digits ...), then compare: exact
string, normalised string, then the parsed trees (see `equivalence.py`). Everything in this process is
bounded by `limits.py`; sympy runs only in the killable workers of `pool.py`. The verdict carries
the extracted texts, the rule that found each, the normalised forms, the form and precision rules
applied (`forms`, `precision_rules`), the method that decided and, when it did not pass, why.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, ClassVar

from reasonledger.records.model import Verdict
from reasonledger.verifiers.base import Verifier
from reasonledger.verifiers.math import extract as ex
from reasonledger.verifiers.math import forms
from reasonledger.verifiers.math.equivalence import Comparer, Outcome, Settings
from reasonledger.verifiers.math.evaluate import ShapeError
from reasonledger.verifiers.math.limits import COLD_MIN, Deadline, Limits, OutOfTime, Pathological, precheck_answer
from reasonledger.verifiers.math.normalize import compact, normalize
from reasonledger.verifiers.math.parse import ParseError, measurement_units, parse, prepare

DEFAULTS: dict[str, Any] = {
    "timeout": 1.0,
    "rel_tol": 1e-6,
    "exact_rel_tol": 1e-15,
    "points": 6,
    "strict_labels": True,
    "percent_forms": True,
    "set_relation_symmetric": True,
    "symbolic": True,
    "choices": "ABCDEFGHIJ",
}
_REFERENCE_KEYS = ("answer", "final_answer", "reference", "solution", "target", "gold")


class MathVerifier(Verifier):
    """Checks that the final answer in a model's response is mathematically equal to the reference answer."""

    id: ClassVar[str] = "math"
    version: ClassVar[str] = "1.2.0"
    family: ClassVar = "programmatic"
    label_source: ClassVar[str] = "programmatic"

    def __init__(self, **config: Any) -> None:
        limit_fields = set(Limits.__dataclass_fields__)
        unknown = set(config) - set(DEFAULTS) - limit_fields - {"fallback"}
        if unknown:
            raise TypeError(f"unknown math verifier options: {', '.join(sorted(unknown))}")
        limits = Limits(**{k: v for k, v in config.items() if k in limit_fields})
        merged = {**DEFAULTS, **{k: v for k, v in config.items() if k in DEFAULTS}, **asdict(limits)}
        if config.get("fallback") is not None:  # a judge's spec (fallback.py); absent, the config hash is as before
            merged["fallback"] = dict(config["fallback"])
        super().__init__(**merged)
        self._judge: Any = None
        self.limits = limits
        self.settings = Settings(
            rel_tol=float(merged["rel_tol"]), exact_rel_tol=float(merged["exact_rel_tol"]),
            points=int(merged["points"]), strict_labels=bool(merged["strict_labels"]),
            percent_forms=bool(merged["percent_forms"]),
            set_relation_symmetric=bool(merged["set_relation_symmetric"]), limits=limits,
        )

    # ------------------------------------------------------------------------------ one check
    def verify(self, reference: Any, response: str) -> Verdict:
        verdict = self._by_rules(reference, response)
        return self._with_fallback([(reference, response)], [verdict])[0] if "fallback" in self.config else verdict

    def _with_fallback(self, pairs: list[tuple[Any, str]], verdicts: list[Verdict]) -> list[Verdict]:
        from reasonledger.verifiers.math.fallback import JudgeVerifier, with_fallback

        if self._judge is None:
            self._judge = JudgeVerifier(**self.config["fallback"])
        return with_fallback(self._judge, pairs, verdicts, _reference_text)

    def _by_rules(self, reference: Any, response: str) -> Verdict:
        deadline = Deadline(float(self.config["timeout"]))
        evidence: dict[str, Any] = {}
        try:
            passed, method, reason = self._check(_reference_text(reference), response, deadline, evidence)
        except Pathological as exc:
            passed, method, reason = False, "limits", f"pathological input: {exc.reason}"
        except OutOfTime:
            passed, method, reason = False, "timeout", f"time limit of {self.config['timeout']} s reached"
        except RecursionError:
            passed, method, reason = False, "limits", "pathological input: nested too deeply"
        except ShapeError as exc:
            passed, method, reason = False, "shape", f"the answer is not a well-formed value: {exc}"
        except Exception as exc:  # noqa: BLE001 - a verifier bug must fail one check, never a reward batch
            passed, method, reason = False, "error", f"internal error: {type(exc).__name__}: {exc}"[:300]
        evidence["method"] = method
        if not passed:
            evidence["reason"] = reason
        return self.verdict(passed, **evidence)

    def _check(self, reference: str, response: Any, deadline: Deadline, ev: dict[str, Any]) -> tuple[bool, str, str]:
        response = "" if response is None else str(response)
        if len(response) > self.limits.max_response_chars:
            raise Pathological(f"response is {len(response):,} characters long (limit {self.limits.max_response_chars:,})")
        ref_ex = ex.extract_answer(reference, reference=True)
        if ref_ex is None:
            return False, "extraction", "no answer could be found in the reference"
        ev["reference_extracted"] = ref_ex.text
        ev["reference_rule"] = ref_ex.rule
        letter = ex.choice_letter(ref_ex.text)
        if letter is not None and letter in str(self.config["choices"]):
            got = ex.extract_choice(response, str(self.config["choices"]))
            if got is None:
                return False, "extraction", "no option letter found in the response"
            ev["extracted"] = got.text
            ev["rule"] = got.rule
            ok = got.text == letter
            return ok, "choice", "" if ok else f"chose {got.text}, the reference is {letter}"
        resp_ex = ex.extract_answer(response)
        if resp_ex is None:
            return False, "extraction", "no answer could be found in the response"
        ev["extracted"] = resp_ex.text
        ev["rule"] = resp_ex.rule
        precheck_answer(ref_ex.text, self.limits)
        if ref_ex.text.strip() == resp_ex.text.strip():
            return True, "exact_string", ""
        precheck_answer(resp_ex.text, self.limits)
        ref_norm, ref_forms, ref_ints = _normalized(ref_ex.text)
        resp_norm, resp_forms, resp_ints = _normalized(resp_ex.text)
        if ref_forms or resp_forms:
            ev["forms"] = {"reference": ref_forms, "response": resp_forms}
        a, b = compact(ref_norm), compact(resp_norm)
        ev["normalized_reference"], ev["normalized"] = a, b
        if a == b and a:
            return True, "normalized_string", ""
        ref_prep, resp_prep = prepare(ref_norm, ref_ex.plain), prepare(resp_norm, resp_ex.plain)
        try:
            ref_tree, ref_units = parse(ref_prep, self.limits)
        except ParseError as exc:
            return False, "parse", f"the reference answer could not be parsed: {exc}"
        try:
            resp_tree, resp_units = parse(resp_prep, self.limits)
        except ParseError as exc:
            return False, "parse", f"the response answer could not be parsed: {exc}"
        if ref_units or resp_units:
            ev["units_dropped"] = sorted(set(ref_units) | set(resp_units))
            ref_measure, resp_measure = measurement_units(ref_units), measurement_units(resp_units)
            if ref_measure and resp_measure and ref_measure != resp_measure:
                return False, "units", (f"the units differ: {', '.join(sorted(resp_measure))} against the reference's "
                                        f"{', '.join(sorted(ref_measure))} (answers in other units are not converted)")
        ev["normalized_reference"], ev["normalized"] = ref_prep, resp_prep
        comparer = Comparer(self.settings, deadline, self._symbolic if self.config["symbolic"] else None,
                            integer_names=ref_ints | resp_ints)
        out = comparer.compare(ref_tree, resp_tree)
        if out.detail:
            ev["detail"] = _jsonable(out.detail)
        if out.equal and comparer.rules:
            ev["precision_rules"] = [dict(r) for r in dict.fromkeys(tuple(sorted(x.items())) for x in _jsonable(comparer.rules))]
        if comparer.symbolic_used:
            ev["symbolic_used"] = True
        return out.equal, out.method, out.reason

    def _symbolic(self, ref: Any, resp: Any, kind: str) -> Outcome | None:
        from reasonledger.verifiers.math.pool import shared_pool

        budget = max(0.05, float(self.config["timeout"]) * 0.9)
        status, value = shared_pool().run("compare", (ref, resp, kind), budget)
        if status == "timeout":
            return Outcome(False, "symbolic_timeout", str(value))
        if status == "error":
            return Outcome(False, "symbolic_error", "sympy could not evaluate the answer", {"sympy_error": str(value)[:300]})
        equal, how = value
        if equal is None:
            return Outcome(False, "symbolic", f"sympy could not decide ({how})")
        return Outcome(bool(equal), "symbolic", "" if equal else f"sympy: {how}", {"sympy": how})

    # ------------------------------------------------------------------------------ many checks
    def verify_many(self, pairs: Iterable[tuple[Any, str]], workers: int | None = None, chunk: int | None = None,
                    pool: bool | None = None) -> list[Verdict]:
        """Verdicts in input order. Small batches run in this thread (as fast as a loop of `verify`);
        large ones also use warm worker processes, one per core (`batch.py`). `pool` forces the
        choice; it works from scripts without a main guard, `python -`, notebooks and threads."""
        pairs = list(pairs)
        if "fallback" in self.config:  # the rules in batch (worker processes never call a model), then the judge here
            rules = MathVerifier(**{k: v for k, v in self.config.items() if k != "fallback"})
            verdicts = [v.model_copy(update={"config_hash": self.config_hash})
                        for v in rules.verify_many(pairs, workers, chunk, pool)]
            return self._with_fallback(pairs, verdicts)
        if pool is None and len(pairs) < COLD_MIN and __package__ + ".batch" not in sys.modules:
            return [self.verify(r, p) for r, p in pairs]  # no workers can be warm: skip importing them
        from reasonledger.verifiers.math import batch

        cores = workers or os.cpu_count() or 1
        if not batch.use_workers(len(pairs), cores, pool):
            return [self.verify(r, p) for r, p in pairs]
        size = chunk or max(16, min(256, len(pairs) // (cores * 8)))
        seconds = size * (2 * float(self.config["timeout"]) + 0.1) + 30.0  # the sympy sub-worker's start is unbilled
        return batch.run(pairs, dict(self.config), self.verify, cores, size, seconds)

    def close(self) -> None:
        """Stop the verify_many worker processes (they also stop when the interpreter exits)."""
        from reasonledger.verifiers.math import batch

        batch.shared_batch_pool().close()
        if self._judge is not None:
            self._judge.close()

    # ------------------------------------------------------------------------------ card
    def card(self) -> dict[str, Any]:
        from reasonledger.verifiers.math.card import build_card

        return build_card(self, super().card())


_WORKER_VERIFIERS: dict[str, MathVerifier] = {}


def verify_chunk(config: dict[str, Any], pairs: list[tuple[Any, str]]) -> list[Verdict]:
    """A `verify` worker's job (see batch.py): the verdicts of one chunk under `config`."""
    key = repr(sorted(config.items()))
    verifier = _WORKER_VERIFIERS.get(key)
    if verifier is None:
        verifier = _WORKER_VERIFIERS[key] = MathVerifier(**config)  # a config holds only options and limits
    return [verifier.verify(r, p) for r, p in pairs]


def _normalized(answer: str) -> tuple[str, list[str], set[str]]:
    """`normalize` with the answer forms of `forms.py` rewritten; the rules applied; declared integer names."""
    text, char_rules = forms.characters(answer)
    text, struct_rules, integers = forms.structures(normalize(text))
    return text, char_rules + struct_rules, integers


def _reference_text(reference: Any) -> str:
    if isinstance(reference, dict):
        for key in _REFERENCE_KEYS:
            if reference.get(key) is not None:
                return str(reference[key])
        raise ValueError(f"reference dict has none of the keys {', '.join(_REFERENCE_KEYS)}")
    if isinstance(reference, (int, float)):
        return repr(reference) if isinstance(reference, float) else str(reference)
    return "" if reference is None else str(reference)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float)) or value is None:
        return value
    return str(value)


__all__ = ["DEFAULTS", "MathVerifier"]
