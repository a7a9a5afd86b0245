"""`pairwise`: which of two responses is better, asked in both orders, a winner only when they agree.

Every comparison is asked twice, with the outputs in each position; a winner is declared only when
both orders name the same output, otherwise the result is `inconsistent` (or `parse_failure` when an
order's output fits no label). With `synthesize_template` set (LLMBar's Swap strategy), orders that
name opposite winners get a second round in both orders, in which the judge reads both first-round
explanations; the second round's per-order winners then decide.

As a verifier, `verify(reference, response)` compares the response with `reference["baseline"]` for
the instruction `reference["input"]`, and passes only on a consistent win.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, model_validator

from reasonledger.records.model import Verdict
from reasonledger.verifiers.judgment.base import Judged, JudgmentVerifier
from reasonledger.verifiers.judgment.spec import JudgeSpec, pinned_sha256
from reasonledger.verifiers.judgment.templates import load_template

ORDERS = ("ab", "ba")  # ab: output_1 shown as (a); ba: output_2 shown as (a)
_FLIP = {"1": "2", "2": "1"}


class PairwiseConfig(JudgeSpec):
    template: str = "pairwise"
    synthesize_template: str | None = Field(None, description="LLMBar's Swap: a second round when the orders disagree")
    synthesize_sha256: str | None = None
    synthesize_max_tokens: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _pin_synthesis(self) -> "PairwiseConfig":
        labels = {label for label, _ in self.loaded_template().grammar.labels}
        if labels != {"1", "2"}:
            raise ValueError(f"template {self.template!r} states {sorted(labels)}, a pairwise template states 1 and 2")
        if self.synthesize_template is None:
            if self.synthesize_sha256 is not None:
                raise ValueError("synthesize_sha256 without synthesize_template")
            return self
        self.synthesize_sha256 = pinned_sha256("synthesize_sha256", self.synthesize_template, self.synthesize_sha256)
        return self


@dataclass
class PairResult:
    """`winner`: "1", "2", "inconsistent" or "parse_failure"; `orders`: each order's final winner
    in the original labels (None when it fit no label); `rounds`: every call, for the evidence."""

    winner: str
    orders: dict[str, str | None]
    rounds: list[dict[str, Judged]] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return self.winner in ("1", "2")


def _winner(judged: Judged, order: str) -> str | None:
    if judged.failed:
        return None
    return judged.label if order == "ab" else _FLIP[judged.label]


def _swap_mentions(text: str) -> str:
    """Output (a) <-> Output (b) in an explanation shown under the other order (LLMBar's reverse_OutputAB)."""
    for word in ("Output", "output"):
        text = text.replace(f"{word} (a)", f"**********{word} (a)**********")
        text = text.replace(f"{word} (b)", f"##########{word} (b)##########")
        text = text.replace(f"**********{word} (a)**********", f"{word} (b)")
        text = text.replace(f"##########{word} (b)##########", f"{word} (a)")
    return text


class PairwiseVerifier(JudgmentVerifier):
    """Passes when a model judge prefers the response to the baseline in both presentation orders."""

    id = "pairwise"
    version = "1.0.0"
    Spec = PairwiseConfig
    card_fields = {"formats": {"reference": "{input: the instruction, baseline: the response to beat}",
                               "response": "text, compared with the baseline in both orders"},
                   "native_signal": ("win (1.0) only when both orders prefer the response; loss, inconsistent or "
                                     "parse_failure 0.0; compare_many gives each order's winner")}

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        spec: PairwiseConfig = self.spec  # type: ignore[assignment]
        self.synthesis = load_template(spec.synthesize_template) if spec.synthesize_template else None

    def _render(self, template: Any, instruction: str, first: str, second: str, order: str, **extra: str) -> list[dict[str, str]]:
        a, b = (first, second) if order == "ab" else (second, first)
        return template.render(input=instruction, output_1=a, output_2=b, **extra)

    def compare_many(self, items: Sequence[tuple[str, str, str]]) -> list[PairResult]:
        """(instruction, output_1, output_2) -> a PairResult each, both orders always asked."""
        asked = self.ask([self._render(self.template, i, a, b, order) for i, a, b in items for order in ORDERS])
        results = []
        for k in range(len(items)):
            first = {order: asked[2 * k + j] for j, order in enumerate(ORDERS)}
            results.append(PairResult("", {o: _winner(first[o], o) for o in ORDERS}, [first]))
        if self.synthesis is not None:
            self._synthesize(items, results)
        for result in results:
            ab, ba = result.orders["ab"], result.orders["ba"]
            result.winner = "parse_failure" if ab is None or ba is None else ab if ab == ba else "inconsistent"
        return results

    def _synthesize(self, items: Sequence[tuple[str, str, str]], results: list[PairResult]) -> None:
        """LLMBar's second round, for pairs whose orders named opposite winners."""
        todo = [k for k, r in enumerate(results) if set(r.orders.values()) == {"1", "2"}]
        conversations = []
        for k in todo:
            order_for = {winner: order for order, winner in results[k].orders.items()}  # winner -> order naming it
            text = {w: results[k].rounds[0][order_for[w]].reply.texts[0] for w in ("1", "2")}
            instruction, a, b = items[k]
            for order in ORDERS:
                e = {w: text[w] if order == order_for[w] else _swap_mentions(text[w]) for w in ("1", "2")}
                shown = (e["1"], e["2"]) if order == "ab" else (e["2"], e["1"])
                conversations.append(self._render(self.synthesis, instruction, a, b, order,
                                                  explanation_1=shown[0], explanation_2=shown[1]))
        spec: PairwiseConfig = self.spec  # type: ignore[assignment]
        asked = self.ask(conversations, self.synthesis, spec.synthesize_max_tokens)
        for j, k in enumerate(todo):
            second = {order: asked[2 * j + i] for i, order in enumerate(ORDERS)}
            results[k].rounds.append(second)
            results[k].orders = {o: _winner(second[o], o) for o in ORDERS}

    def verify_many(self, pairs: Iterable[tuple[Any, str]]) -> list[Verdict]:
        items = []
        for reference, response in pairs:
            if not isinstance(reference, dict) or "baseline" not in reference:
                raise ValueError("a pairwise reference is {'input': instruction, 'baseline': the response to beat}")
            items.append((str(reference.get("input") or reference.get("prompt") or ""), response, str(reference["baseline"])))
        return [self.pair_verdict(r) for r in self.compare_many(items)]

    def pair_verdict(self, result: PairResult) -> Verdict:
        outcome = {"1": "win", "2": "loss"}.get(result.winner, result.winner)
        calls = [{"round": n, "order": order, **self.evidence(j, self.template if n == 0 else self.synthesis)}
                 for n, rnd in enumerate(result.rounds) for order, j in rnd.items()]
        return self.verdict(result.winner == "1", outcome=outcome, orders=result.orders, **self.identity(),
                            request=[c["request"] for c in calls], calls=calls,
                            reason=None if result.winner == "1" else outcome)


__all__ = ["ORDERS", "PairResult", "PairwiseConfig", "PairwiseVerifier"]
