"""reasoning-gym's own scorers, wrapped with guards for the scorer bugs found on this version,
and kept from running model output as Python (reasoning_gym_safety: which scorers would, and the
grammars an answer must fit to reach them).

Found by scoring wrong answers against 42 task families (reasoning-gym 0.1.25): some scorers give
full credit to answers that are plainly wrong. Each guard re-checks a full-credit answer and, when
it fails, the verdict says which guard overrode the scorer and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from reasonledger import gym
from reasonledger.records.model import Verdict
from reasonledger.verifiers import reasoning_gym_safety as safety
from reasonledger.verifiers.base import Verifier
from reasonledger.verifiers.math.pool import shared_pool
from reasonledger.verifiers.reasoning_gym_scorers import score as scored
from reasonledger.verifiers.answers import Extracted
from reasonledger.verifiers.text import ANSWER_RULES, final_answer

RG_VERSION = gym.version()  # GymMissing (naming the `[gym]` extra) when it is not installed
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number(text: str) -> Fraction | None:
    text = text.strip().replace(",", "")
    return Fraction(text) if _NUMBER.match(text) else None


def _exact_boolean(answer: str, gold: str) -> str | None:
    """game_of_life_halting's scorer gives full credit to any non-empty answer."""
    if answer.strip().casefold() not in ("true", "false"):
        return "answer is not True or False"
    return None if answer.strip().casefold() == gold.strip().casefold() else "answer differs from the reference"


def _signed_number(answer: str, gold: str) -> str | None:
    """gsm_symbolic's scorer drops minus signs and reads the first number of a longer answer."""
    got, want = _number(answer), _number(gold)
    if got is None:
        return "answer is not a single number"
    return None if want is not None and got == want else "number differs from the reference (sign included)"


def _exact_string(answer: str, gold: str) -> str | None:
    """spell_backward's scorer ignores case, and gives full credit to a 9- or 11-letter word followed
    by extra tokens (its per-letter credits sum to just over 1.0)."""
    return None if answer.strip() == gold.strip() else "answer is not exactly the reference"


def _no_trailing_tokens(answer: str, gold: str) -> str | None:
    """fraction_simplification and time_intervals accept the answer followed by extra tokens."""
    return None if len(answer.split()) <= len(gold.split()) else "answer has tokens beyond the reference's"


GUARDS: dict[str, Callable[[str, str], str | None]] = {
    "game_of_life_halting": _exact_boolean,
    "gsm_symbolic": _signed_number,
    "spell_backward": _exact_string,
    "fraction_simplification": _no_trailing_tokens,
    "time_intervals": _no_trailing_tokens,
}


DEFAULT_TIMEOUT = 10.0  # seconds for one answer of a task in `reasoning_gym_safety.SLOW`
NO_ANSWER = "no answer found (an unclosed <think>, an empty text, or a refusal such as \"I don't know\")"


class ReasoningGymVerifier(Verifier):
    """Scores an answer with the reasoning-gym task's own scorer, guarded against its known bugs.

    The final answer is extracted first (`text.final_answer`: `verifiers.answers` with
    `text.ANSWER_RULES`; a bare refusal is no answer and scores 0), so the scorer sees the answer
    alone however it was written; the evidence names the rule that fired.
    Reference: `{"dataset": name, "answer": gold, "metadata": {...}}` as the reasoning-gym source
    writes it, or the gold answer alone with `dataset` in the config. Config: `pass_threshold`
    (default 1.0): scores below it are partial credit, not a pass; `timeout` (default 10 s) for one
    answer of a task whose scorer runs sympy's simplify (scored in a worker process, killed when late).
    Nine scorers run the answer as Python (`eval`, sympy's `parse_expr`): only answers in a closed
    grammar reach them, anything else fails with reason `unsafe_answer` (`reasoning_gym_safety`).
    """

    id = "reasoning_gym"
    version = "2.1.0"
    family = "programmatic"

    def verify(self, reference: Any, response: str) -> Verdict:
        return self.verify_many([(reference, response)])[0]

    def verify_many(self, pairs: Iterable[tuple[Any, str]]) -> list[Verdict]:
        """Verdicts in order (see `judge_many`)."""
        return [self.verdict(passed, score, **evidence) for passed, score, evidence in self.judge_many(pairs)]

    def judge_many(self, pairs: Iterable[tuple[Any, str]],
                   answers: dict[str, Extracted] | None = None) -> list[tuple[bool, float, dict[str, Any]]]:
        """(passed, score, evidence) in order, without building verdicts; each distinct response is read
        once and each distinct (reference, extracted answer) is scored once, so a group of completions
        that reach the same answer in different words costs one scorer call. `answers` (response ->
        extracted answer) lets a caller share the reading across calls."""
        return self._judged(pairs, answers, True)

    def score_many(self, pairs: Iterable[tuple[Any, str]], answers: dict[str, Extracted] | None = None) -> list[float]:
        """The scores `judge_many` gives, without their evidence (a trainer's reward needs the score only)."""
        return self._judged(pairs, answers, False)

    def _judged(self, pairs: Iterable[tuple[Any, str]], answers: dict[str, Extracted] | None, evidence: bool) -> list[Any]:
        pairs = list(pairs)  # keeps every reference alive while its id() keys the scores below
        scored: dict[tuple[int, str], tuple[bool, float, dict[str, Any]]] = {}
        answers = {} if answers is None else answers
        judged: list[Any] = []
        for reference, response in pairs:
            task = reference if isinstance(reference, dict) else {"answer": reference}  # a bare gold: task in the config
            dataset = task.get("dataset") or self.config.get("dataset")
            if not dataset:
                raise ValueError("a reasoning_gym reference needs `dataset` (or the verifier config must name it)")
            found = answers.get(response) or answers.setdefault(response, final_answer(response))
            if found.answer is None:
                judged.append((False, 0.0, {**self._read(dataset, found), "reason": NO_ANSWER}) if evidence else 0.0)
                continue
            key = (id(reference), found.answer)
            result = scored.get(key)
            if result is None:
                result = scored[key] = self._score(task, dataset, found.answer)
            judged.append((result[0], result[1], {**self._read(dataset, found), **result[2]}) if evidence else result[1])
        return judged

    @staticmethod
    def _read(dataset: str, found: Extracted) -> dict[str, Any]:
        return {"dataset": dataset, "extracted": found.answer, "rule": found.rule, "scorer": f"reasoning_gym {RG_VERSION}"}

    def _score(self, task: dict[str, Any], dataset: str, answer: str) -> tuple[bool, float, dict[str, Any]]:
        """(passed, score, evidence) of one answer by the task's scorer and its guard."""
        gold = task.get("answer")
        entry = {"question": task.get("question", ""), "answer": gold, "metadata": task.get("metadata", {})}
        refused = safety.refusal(dataset, answer, entry)
        if refused:  # the scorer would run this text as Python: it never sees it
            return False, 0.0, {"reason": refused[0], "unsafe": refused[1]}
        if dataset in safety.SLOW:
            timeout = float(self.config.get("timeout", DEFAULT_TIMEOUT))
            status, value = shared_pool("reasoning_gym").run("score", (dataset, answer, entry), timeout)
            if status != "ok":
                return False, 0.0, {"reason": f"scorer {'timed out' if status == 'timeout' else 'failed'} in its "
                                              f"worker: {value}"}
            score = float(value)
        else:
            try:
                score = scored(dataset, answer, entry)
            except Exception as exc:  # the scorer is third-party code; its failure is a recorded non-pass
                return False, 0.0, {"reason": f"scorer raised {type(exc).__name__}: {exc}"}
        threshold = float(self.config.get("pass_threshold", 1.0))
        guard = GUARDS.get(dataset)
        if score >= threshold and guard is not None and gold is not None:
            problem = guard(answer, str(gold))
            if problem:
                return False, 0.0, {"scorer_score": score, "guard": guard.__name__.lstrip("_"),
                                    "reason": f"scorer gave {score}, overridden: {problem}"}
        passed = score >= threshold
        return passed, score, {"scorer_score": score, "reason": None if passed else f"score {score} below {threshold}"}

    def card(self) -> dict[str, Any]:
        return {
            **super().card(),
            "scorer": f"reasoning_gym {RG_VERSION}",
            "formats": {"reference": '{"dataset", "answer", "metadata"} from the reasoning_gym source',
                        "response": "text; the final answer by the first extraction rule that fires: "
                                    + ", ".join(ANSWER_RULES) + " (reasonledger.verifiers.answers)"},
            "native_signal": "the task scorer's float in [0, 1]; passed when >= pass_threshold (default 1.0); "
                             "a guard that rejects a full-credit answer sets it to 0.0",
            "guards": {name: (fn.__doc__ or "").strip() for name, fn in GUARDS.items()},
            "unsafe_answers": {
                "rule": "model output never runs in this process: scorers that pass the answer (or the reference) to "
                        "eval or sympy's parse_expr see it only when it fits the task's closed grammar; anything "
                        "else fails with score 0 and reason unsafe_answer (unsafe_reference for a reference)",
                "grammars": {name: " ".join((fn.__doc__ or "").split()) for name, fn in
                             (("countdown, puzzle24", safety.arithmetic), (", ".join(sorted(safety.SLOW)), safety.algebra),
                              ("binary_matrix, n_queens, spiral_matrix, string_insertion", safety.python_literal))},
                "reference_checked": sorted(safety.REFERENCE_CHECKS),
                "where": safety.WHERE,
                "worker": "the tasks whose scorer runs sympy's simplify (" + ", ".join(sorted(safety.SLOW))
                          + ") are scored in a locked-down worker process (reads only the interpreter's own files, "
                            "no writes, no TCP, a memory cap: lockdown.lock_down_process) killed after `timeout` seconds",
            },
            "known_false_negatives": ["tasks whose scorer needs metadata fail when only question and answer were kept "
                                      "(imported eval files)"],
            "known_false_positives": ["scorers without a guard may still be lenient; knights_knaves accepts extra "
                                      "text after a correct assignment"],
        }
