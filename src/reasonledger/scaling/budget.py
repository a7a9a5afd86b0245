"""pass@(k,T): pass@k when each rollout may spend at most T tokens.

Which budgets one run can answer depends on how the budget reached the model, and the card says which:

- truncation: the model is not told its budget; generation is cut at T. A rollout that passed with
  t tokens passes under every T >= t and fails under T < t, so one run at T_max yields every T <= T_max.
- announced: the budget is stated in the prompt, so the model plans for it and behaves differently at
  each T; a run at one budget says nothing about another, and each T needs its own rollouts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

import numpy as np

from reasonledger.scaling.passk import Problem, default_ks, passk_estimate

Mode = Literal["truncation", "announced"]
NOTES: dict[str, str] = {
    "truncation": "budgets by truncation: one run at T_max gives pass@(k,T) for every T <= T_max "
                  "(a rollout counts as passed at T when it passed using at most T tokens)",
    "announced": "budgets announced in the prompt: each T has its own rollouts; a run at one budget "
                 "says nothing about another",
}


def budget_mode(problems: Sequence[Problem]) -> Mode | None:
    """`announced` when rollouts carry an announced budget, `truncation` when they carry token counts."""
    if any(b is not None for p in problems for b in p.budgets):
        return "announced"
    if any(t is not None for p in problems for t in p.tokens):
        return "truncation"
    return None


def default_budgets(problems: Sequence[Problem], mode: Mode) -> list[int]:
    """Announced: the budgets that were run. Truncation: powers of two over the observed token counts."""
    if mode == "announced":
        return sorted({b for p in problems for b in p.budgets if b is not None})
    tokens = [t for p in problems for t in p.tokens if t is not None]
    if not tokens:
        return []
    low, high = max(min(tokens), 1).bit_length() - 1, max(max(tokens), 1).bit_length()
    return [2 ** e for e in range(low, high + 1)]


def _truncation_counts(problems: Sequence[Problem], budget: int, skipped: Counter[str]) -> tuple[np.ndarray, np.ndarray]:
    n, c = [], []
    for p in problems:
        if any(t is None for t in p.tokens):
            skipped["rollouts without token counts"] += 1
        elif p.max_tokens is not None and budget > p.max_tokens:
            skipped[f"T={budget} above the run's max_tokens"] += 1
        else:
            n.append(len(p.passed))
            c.append(sum(ok and t <= budget for ok, t in zip(p.passed, p.tokens)))
    return np.array(n, dtype=int), np.array(c, dtype=int)


def _announced_counts(problems: Sequence[Problem], budget: int) -> tuple[np.ndarray, np.ndarray]:
    """Rollouts run under budget T, pooled per problem (one problem may span several records)."""
    pooled: dict[str, list[int]] = {}
    for p in problems:
        for ok, b in zip(p.passed, p.budgets):
            if b == budget:
                entry = pooled.setdefault(p.key, [0, 0])
                entry[0] += 1
                entry[1] += int(ok)
    counts = np.array(list(pooled.values()), dtype=int).reshape(-1, 2)
    return counts[:, 0], counts[:, 1]


def passk_budget_report(problems: Sequence[Problem], budgets: Sequence[int] | None = None,
                        ks: Sequence[int] | None = None, mode: Mode | None = None, n_boot: int = 1000,
                        level: float = 0.95, seed: int = 0) -> dict[str, object] | None:
    """pass@(k,T) for each budget T, or None when the rollouts carry neither token counts nor budgets."""
    mode = mode or budget_mode(problems)
    if mode is None:
        return None
    budgets = list(budgets) if budgets else default_budgets(problems, mode)
    ks = list(ks) if ks else default_ks(problems)
    table: dict[str, dict[str, dict[str, float | int | None]]] = {}
    skipped: dict[str, dict[str, int]] = {}
    for budget in budgets:
        reasons: Counter[str] = Counter()
        n, c = (_truncation_counts(problems, budget, reasons) if mode == "truncation"
                else _announced_counts(problems, budget))
        if mode == "announced" and len(n) == 0:
            reasons[f"no rollouts were run with T={budget} announced"] += 1
        table[str(budget)] = {f"pass@{k}": passk_estimate(n, c, k, n_boot, level, seed).as_dict() for k in ks}
        if reasons:
            skipped[str(budget)] = dict(reasons)
    return {"mode": mode, "note": NOTES[mode], "ks": ks, "budgets": budgets, "table": table, "skipped": skipped}
