"""Unbiased pass@k (Chen et al. 2021) with intervals over problems that never collapse at 0 or 1.

pass@k for one problem with n samples of which c passed is 1 - C(n-c, k) / C(n, k): the chance
that k samples drawn without replacement from the n contain at least one pass. The binomials
overflow for large n, so it is computed as the product 1 - prod_{i=n-c+1..n} (1 - k/i).

The interval is for the mean over the population the problems were drawn from. Its variance comes
from a cluster bootstrap over problems (rollouts of one problem are resampled together); it is
turned into an effective number of trials n* = p(1-p)/var (Korn and Graubard 1998), shrunk by
(z/t)^2 for the bootstrap's m - 1 degrees of freedom and never more than the independent k-sample
groups the data holds (a count, not an estimate, so it is not shrunk), and the interval is the
Wilson score interval for p in n* trials (the form Franco, Little, Louis and Slud 2019 recommend on
an effective sample size). Inside (0, 1) it behaves like the bootstrap; at 0 or 1, where the
bootstrap returns a zero-width interval, it keeps the width the number of trials allows. Near the
boundary the Jeffreys interval used before covered 98% (the near side cannot be missed); Wilson's
is nearer nominal there. Coverage is checked by simulation in tests/scaling/test_intervals_passk.py
and tabulated by benchmarks/scaling_coverage.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from reasonledger.records.model import Kind, Record
from reasonledger.records.targets import rollout_verdicts
from reasonledger.stats.proportion import wilson_interval
from reasonledger.stats.pvalues import normal_quantile, t_quantile

def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem: n samples, c of them passed."""
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1, dtype=float)))


INTERVAL_METHOD = ("Wilson score interval on the effective number of trials (Korn-Graubard), variance from a "
                   "cluster bootstrap over problems")


@dataclass(frozen=True)
class Estimate:
    """A mean over problems with its interval; `excluded` had fewer than k samples."""

    value: float | None
    low: float | None
    high: float | None
    problems: int
    excluded: int = 0

    def as_dict(self) -> dict[str, float | int | None]:
        return {"value": self.value, "low": self.low, "high": self.high,
                "problems": self.problems, "excluded": self.excluded}


def bootstrap_variance(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> float:
    """Variance of the mean of per-problem values over resamples of problems.

    Per-problem values take few distinct values (one per (n, c) pair), so a resample of m problems
    is drawn as multinomial counts over the distinct values: exact, and O(n_boot x distinct).
    """
    m = len(values)
    distinct, counts = np.unique(values, return_counts=True)
    return float((rng.multinomial(m, counts / m, size=n_boot) @ distinct / m).var())


def effective_interval(values: np.ndarray, trials: int, n_boot: int, level: float,
                       rng: np.random.Generator) -> Estimate:
    """The mean of `values` (each in [0, 1]) with the interval described in the module docstring;
    `trials` caps the effective number of trials (the independent k-sample groups in the data)."""
    m = len(values)
    if m == 0:
        return Estimate(None, None, None, 0)
    mean = float(values.mean())
    variance = bootstrap_variance(values, n_boot, rng) if m > 1 else 0.0
    n_eff = float(trials)
    if variance > 0 and 0 < mean < 1:  # estimated from m problems: narrowed as a t with m - 1 df would widen it
        shrink = (normal_quantile(0.5 + level / 2) / t_quantile(0.5 + level / 2, m - 1)) ** 2
        n_eff = min(mean * (1 - mean) / variance * shrink, n_eff)
    low, high = wilson_interval(mean, n_eff, level)
    return Estimate(mean, min(low, mean), max(high, mean), m)


def passk_estimate(n: np.ndarray, c: np.ndarray, k: int, n_boot: int = 1000, level: float = 0.95,
                   seed: int = 0) -> Estimate:
    """pass@k over problems (arrays of samples n and passes c); problems with n < k are excluded."""
    usable = n >= k
    # few distinct (n, c) pairs: compute pass@k once per pair
    pairs, inverse = np.unique(np.stack([n[usable], c[usable]], axis=1), axis=0, return_inverse=True)
    values = np.array([pass_at_k(int(a), int(b), k) for a, b in pairs], dtype=float)[inverse.reshape(-1)]
    trials = int((n[usable] // k).sum())
    estimate = effective_interval(values, trials, n_boot, level, np.random.default_rng(seed))
    return Estimate(estimate.value, estimate.low, estimate.high, estimate.problems, int((~usable).sum()))


@dataclass(frozen=True)
class Problem:
    """One problem's judged rollouts: pass/fail per rollout and what each rollout's meta says."""

    group: str
    key: str
    passed: tuple[bool, ...]
    tokens: tuple[int | None, ...]
    budgets: tuple[int | None, ...]
    models: frozenset[str]
    max_tokens: int | None = None


@dataclass
class Outcomes:
    problems: list[Problem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    verifiers: Counter[str] = field(default_factory=Counter)


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def rollout_tokens(record: Record, tokens_field: str = "tokens") -> tuple[int | None, ...]:
    """Completion tokens per rollout: `rollout.meta[tokens_field]`, else, for rollouts that the
    `rollouts` step generated one per request, that request's completion tokens (`request_usage[1]`);
    a request that returned several rollouts cannot say how its tokens split between them."""
    rollouts = record.behaviour.rollouts or []
    per_request = Counter(r.meta.get("request") for r in rollouts)
    out = []
    for r in rollouts:
        usage = r.meta.get("request_usage")
        if tokens_field in r.meta:
            out.append(_int_or_none(r.meta[tokens_field]))
        elif isinstance(usage, list) and len(usage) == 2 and r.meta.get("request") and per_request[r.meta["request"]] == 1:
            out.append(_int_or_none(usage[1]))
        else:
            out.append(None)
    return tuple(out)


def _max_tokens(record: Record) -> int | None:
    """The sampling budget the rollouts were generated with, when the lineage records it."""
    budgets = [e.sampling["max_tokens"] for e in record.lineage.events if e.sampling and "max_tokens" in e.sampling]
    return _int_or_none(budgets[-1]) if budgets else None


def problem_key(record: Record) -> str:
    """The problem a record poses: its source row when known (records that announce different
    budgets in their prompts are the same problem), else the record itself."""
    source = record.task.source
    return f"{source.dataset}#{source.row_id}" if source.row_id is not None else record.id


def collect_outcomes(records: Iterable[Record], verifier: str | None = None, tokens_field: str = "tokens",
                     budget_field: str = "budget") -> Outcomes:
    """Problems from rollout_set records whose every rollout has a verdict; others are counted as skipped.

    Token counts come from `rollout_tokens`; an announced budget from `rollout.meta[budget_field]`, else `record.meta[budget_field]`.
    """
    out = Outcomes()
    for record in records:
        if record.kind != Kind.rollout_set:
            out.skipped[f"kind {record.kind.value} has no rollouts"] += 1
            continue
        rollouts = record.behaviour.rollouts or []
        verdicts = rollout_verdicts(record, verifier, strict=True)
        if set(verdicts) != set(range(len(rollouts))):
            reason = ("no rollout verdicts" if not verdicts else "some rollouts have no verdict"
                      if set(verdicts) < set(range(len(rollouts))) else "verdicts target rollouts the record does not have")
            out.skipped[reason + (f" from {verifier}" if verifier else "")] += 1
            continue
        out.verifiers.update(v.verifier for v in verdicts.values())
        out.problems.append(Problem(
            group=record.task.source.dataset,
            key=problem_key(record),
            passed=tuple(verdicts[j].passed for j in range(len(rollouts))),
            tokens=rollout_tokens(record, tokens_field),
            budgets=tuple(_int_or_none(r.meta.get(budget_field, record.meta.get(budget_field))) for r in rollouts),
            models=frozenset(str(r.meta["model"]) for r in rollouts if "model" in r.meta),
            max_tokens=_max_tokens(record),
        ))
    return out


def passk_table(problems: Sequence[Problem], ks: Sequence[int], n_boot: int = 1000, level: float = 0.95,
                seed: int = 0) -> dict[str, dict[str, dict[str, float | int | None]]]:
    """pass@k per source dataset and overall: {group: {"pass@k": estimate}}. Each cell draws its
    bootstrap from the same seed, so a group's intervals do not depend on which other groups exist."""
    groups: dict[str, list[Problem]] = {"overall": list(problems)}
    for problem in problems:
        groups.setdefault(problem.group, []).append(problem)
    table = {}
    for name in ["overall", *sorted(g for g in groups if g != "overall")]:
        n = np.array([len(p.passed) for p in groups[name]], dtype=int)
        c = np.array([sum(p.passed) for p in groups[name]], dtype=int)
        table[name] = {f"pass@{k}": passk_estimate(n, c, k, n_boot, level, seed).as_dict() for k in ks}
    return table


def default_ks(problems: Sequence[Problem]) -> list[int]:
    """1, 2, 4, ... up to the smallest rollout count, so every k covers every problem."""
    smallest = min((len(p.passed) for p in problems), default=1)
    return [2 ** i for i in range(max(smallest, 1).bit_length())]


def by_problem(problems: Sequence[Problem]) -> list[Problem]:
    """One entry per problem key, its records' rollouts pooled (records that announce different budgets
    in their prompts pose the same problem)."""
    merged: dict[str, Problem] = {}
    for p in problems:
        seen = merged.get(p.key)
        merged[p.key] = p if seen is None else Problem(
            seen.group, seen.key, seen.passed + p.passed, seen.tokens + p.tokens, seen.budgets + p.budgets,
            seen.models | p.models, seen.max_tokens if seen.max_tokens == p.max_tokens else None)
    return list(merged.values())


def problems_label(cells: dict[str, dict[str, object]]) -> str:
    """The problems a table row counts: one number, or one per k when problems with n < k drop out."""
    counts = [int(c["problems"]) for c in cells.values()]
    return f"{counts[0]:,}" if len(set(counts)) == 1 else " / ".join(f"{n:,}" for n in counts)


def _population_notes(table: dict[str, dict[str, dict[str, object]]]) -> list[str]:
    notes = []
    for group, cells in table.items():
        counts = {k: c["problems"] for k, c in cells.items()}
        if len(set(counts.values())) > 1:
            notes.append(f"{group}: columns count different problems ({', '.join(f'{k} over {n:,}' for k, n in counts.items())}): "
                         f"problems with fewer than k rollouts are left out of pass@k, so pass@k can fall as k grows; "
                         f"compare columns with k up to the smallest rollout count")
    return notes


def passk_report(outcomes: Outcomes, ks: Sequence[int] | None = None, n_boot: int = 1000, level: float = 0.95,
                 seed: int = 0) -> dict[str, object]:
    """Everything `scaling passk` prints: the table, what was skipped and why, and caveats. Rollouts that
    announce budgets are pooled per problem here (pass@(k,T) gives each budget its own column)."""
    problems = outcomes.problems
    notes = []
    if any(b is not None for p in problems for b in p.budgets):
        problems = by_problem(problems)
        notes.append(f"rollouts under different announced budgets are pooled per problem ({len(outcomes.problems):,} "
                     f"records, {len(problems):,} problems); pass@(k,T) gives each budget its own column")
    ks = list(ks) if ks else default_ks(problems)
    mixed = sum(1 for p in problems if len(p.models) > 1)
    if mixed:
        notes.append(f"{mixed:,} problem(s) have rollouts from several models; pass@k assumes samples of one "
                     f"policy, so read it there as 'any of k models'")
    table = passk_table(problems, ks, n_boot, level, seed)
    return {"ks": ks, "level": level, "bootstrap": n_boot, "interval": INTERVAL_METHOD, "problems": len(problems),
            "verifiers": dict(sorted(outcomes.verifiers.items())), "skipped": dict(sorted(outcomes.skipped.items())),
            "notes": notes + _population_notes(table), "table": table}
