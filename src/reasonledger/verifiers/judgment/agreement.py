"""How a pairwise judge agrees with gold labels and with itself: accuracy in each presentation
order, positional agreement, Cohen's kappa, P(prefer first position), P(prefer longer), parse
failures. `authors_statistics` gives the same figures in the exact form of LLMBar's
`statistics.json`, so a replay of their recorded judges can be checked against what they published.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from reasonledger.stats.proportion import wilson_counts


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Cohen's kappa of two labelings over the union of their labels, computed as scikit-learn's
    `cohen_kappa_score` does (same sums in the same order), so published figures match to the bit."""
    if len(a) != len(b) or not a:
        raise ValueError(f"cohen_kappa: two non-empty labelings of one length are needed, got {len(a)} and {len(b)}")
    labels = sorted(set(a) | set(b), key=lambda x: (type(x).__name__, x))  # ascending, as np.unique
    index = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for x, y in zip(a, b):
        confusion[index[x], index[y]] += 1
    sum0, sum1 = confusion.sum(axis=0), confusion.sum(axis=1)
    expected = np.outer(sum0, sum1) / np.sum(sum0)
    weights = np.ones((len(labels), len(labels)), dtype=int)
    weights.flat[:: len(labels) + 1] = 0
    denominator = np.sum(weights * expected)
    if denominator == 0:
        return float("nan")  # one label only on both sides: agreement by chance is certain
    return float(1 - np.sum(weights * confusion) / denominator)


@dataclass(frozen=True)
class PairOutcome:
    """One labelled comparison: gold winner ("1"/"2"), each order's winner (None: no label), lengths."""

    label: str
    ab: str | None
    ba: str | None
    lengths: tuple[int, int] = (0, 0)


def measure(outcomes: Sequence[PairOutcome]) -> dict[str, Any]:
    """The judge card's agreement figures (shares in [0, 1])."""
    n = len(outcomes)
    if not n:
        raise ValueError("no labelled comparisons to measure")
    right_ab = sum(o.ab == o.label for o in outcomes)
    right_ba = sum(o.ba == o.label for o in outcomes)
    consistent = sum(o.ab is not None and o.ab == o.ba for o in outcomes)
    votes = [(w, shown_first, o.lengths) for o in outcomes for w, shown_first in ((o.ab, "1"), (o.ba, "2")) if w]
    first = sum(w == shown_first for w, shown_first, _ in votes)
    sized = [(w, lengths) for w, _, lengths in votes if lengths[0] != lengths[1]]
    longer = sum((lengths[0] > lengths[1]) == (w == "1") for w, lengths in sized)
    return {
        "n": n,
        "accuracy_ab": right_ab / n, "accuracy_ba": right_ba / n, "accuracy_mean": (right_ab + right_ba) / (2 * n),
        "accuracy_both": sum(o.ab == o.label == o.ba for o in outcomes) / n,
        "positional_agreement": consistent / n, "positional_consistent": consistent,
        "positional_wilson95": list(wilson_counts(consistent, n)),
        "kappa_ab": cohen_kappa([o.ab or "none" for o in outcomes], [o.label for o in outcomes]),
        "kappa_ba": cohen_kappa([o.ba or "none" for o in outcomes], [o.label for o in outcomes]),
        "kappa_between_orders": cohen_kappa([o.ab or "none" for o in outcomes], [o.ba or "none" for o in outcomes]),
        "p_prefer_first": first / len(votes) if votes else None,
        "p_prefer_longer": longer / len(sized) if sized else None,
        "parse_failure_rate": sum((o.ab is None) + (o.ba is None) for o in outcomes) / (2 * n),
        "gold_share_1": sum(o.label == "1" for o in outcomes) / n,
    }


def measure_pointwise(judged: Sequence[bool], gold: Sequence[bool], parse_failures: int = 0) -> dict[str, Any]:
    """A pass/fail judge against gold or human labels: accuracy, Cohen's kappa, and its error rates
    (false positives among the gold failures, false negatives among the gold passes)."""
    if len(judged) != len(gold) or not gold:
        raise ValueError(f"measure_pointwise: {len(judged)} judgments for {len(gold)} labels")
    n = len(gold)
    negatives, positives = sum(not g for g in gold), sum(gold)
    return {
        "n": n, "accuracy": sum(j == g for j, g in zip(judged, gold)) / n,
        "kappa": cohen_kappa([int(j) for j in judged], [int(g) for g in gold]),
        "false_positive_rate": sum(j and not g for j, g in zip(judged, gold)) / negatives if negatives else None,
        "false_negative_rate": sum(g and not j for j, g in zip(judged, gold)) / positives if positives else None,
        "parse_failure_rate": parse_failures / n, "gold_pass_share": positives / n,
    }


def authors_statistics(outcomes: Sequence[PairOutcome]) -> dict[str, Any]:
    """LLMBar's statistics.json for these outcomes, computed as its evaluate.py does. Its kappas map
    winner "1" to 1 and everything else to 0 and compare that with the gold labels 1/2, so they are
    not kappas against gold; `measure` gives those."""
    n = len(outcomes)
    cf = sum(o.ab == o.label for o in outcomes)
    ct = sum(o.ba == o.label for o in outcomes)
    both = sum(o.ab == o.label and o.ba == o.label for o in outcomes)
    equal = sum(o.ab == o.ba for o in outcomes)
    y_false = [int(o.ab) if o.ab in ("0", "1") else 0 for o in outcomes]
    y_true = [int(o.ba) if o.ba in ("0", "1") else 0 for o in outcomes]
    gold = [int(o.label) for o in outcomes]
    stats: dict[str, Any] = {
        "correct_False": f"{cf} / {n} = {cf / n * 100}%",
        "correct_True": f"{ct} / {n} = {ct / n * 100}%",
        "correct_average": f"{(cf + ct) / 2 / n * 100}%",
        "correct_both": f"{both} / {n} = {both / n * 100}%",
        "equal": f"{equal} / {n} = {equal / n * 100}%",
    }
    stats["kappa_False"] = cohen_kappa(y_false, gold)
    stats["kappa_True"] = cohen_kappa(y_true, gold)
    stats["kappa_average"] = (stats["kappa_False"] + stats["kappa_True"]) / 2
    stats["kappa_agreement"] = cohen_kappa(y_false, y_true)
    return stats


__all__ = ["PairOutcome", "authors_statistics", "cohen_kappa", "measure", "measure_pointwise"]
