"""The length trap: are longer attempts the wrong ones? Trace length against correctness, within prompts.

Pooled over prompts, length and correctness are confounded by difficulty: hard prompts get long
attempts and low accuracy, so the pooled correlation is negative even when, among attempts at the
same prompt, the longer ones are as often (or more often) right. The question the trap asks is the
within-prompt one, so for every group (overall, per source, per policy) this reports three figures,
each labelled:

- `pooled`: the point-biserial r over all attempts (with its naive t-test p, which ignores that
  attempts at one prompt are not independent); mixes difficulty with length.
- `between_prompts`: r between a prompt's mean length and its pass rate, over prompts.
- `within_prompts`: over prompts with several attempts, the prompt-demeaned r (t-test with the
  prompts' means counted as fitted parameters), and a conditional logistic regression with one
  stratum per prompt, length per standard deviation as the covariate and, where a group mixes
  policies, policy indicators: its log odds ratio, Wald interval and likelihood-ratio p. It is
  fitted only with at least 5 attempts of the rarer outcome (in prompts with both) per covariate.

A group is flagged only when the within-prompt log odds ratio is negative, its p is below `alpha`
after Holm's correction over every group tested, and the demeaned r is at or below -`flag_r` (a
large data set makes tiny effects significant; the trap is about effects worth reading). Where a
group has one attempt per prompt, length cannot be separated from difficulty: it is reported as not
separable and never flagged. Attempts share a prompt when their records' normalised prompts are
the same (the rollouts of one rollout set, or separate records asking the same question).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reasonledger.quality.outcomes import Outcome
from reasonledger.stats.clogit import estimable_columns, first_effect
from reasonledger.stats.pvalues import correlation_p, holm

POOLED_NOTE = "all attempts pooled across prompts: mixes prompt difficulty with length; p ignores clustering"
BETWEEN_NOTE = "prompt mean length against prompt pass rate, one point per prompt"
NOT_SEPARABLE = "one attempt per prompt: length cannot be separated from prompt difficulty, so no flag"
EVENTS_PER_COVARIATE = 5


def _r(x: np.ndarray, y: np.ndarray) -> float | None:
    sx, sy = float(np.sqrt((x * x).sum())), float(np.sqrt((y * y).sum()))
    return float((x * y).sum() / (sx * sy)) if sx > 0 and sy > 0 else None


def _correlation(x: np.ndarray, y: np.ndarray, fitted: int = 2) -> dict[str, Any]:
    r = _r(x - x.mean(), y - y.mean()) if len(x) > 1 else None
    return {"r": None if r is None else round(r, 4),
            "p": None if r is None else float(f"{correlation_p(r, len(x), fitted):.3g}")}


def _demean(values: np.ndarray, prompts: np.ndarray) -> np.ndarray:
    sums, counts = np.bincount(prompts, values), np.bincount(prompts)
    return values - (sums / np.maximum(counts, 1))[prompts]


def _bins(deviation: np.ndarray, outcome: np.ndarray, quantiles: int, key: str) -> list[dict[str, Any]]:
    edges = np.unique(np.quantile(deviation, np.linspace(0, 1, quantiles + 1)))
    which = np.clip(np.searchsorted(edges, deviation, side="right") - 1, 0, max(len(edges) - 2, 0))
    return [{"from_words": round(float(edges[i]), 1), "to_words": round(float(edges[i + 1]), 1),
             "attempts": int((which == i).sum()), key: round(float(outcome[which == i].mean()), 4)}
            for i in range(len(edges) - 1) if (which == i).any()]


def _within(lengths: np.ndarray, passed: np.ndarray, prompts: np.ndarray, policies: np.ndarray,
            quantiles: int, level: float) -> dict[str, Any]:
    counts = np.bincount(prompts)
    several = counts[prompts] > 1
    if not several.any():
        return {"status": "not_separable", "reason": NOT_SEPARABLE}
    passes = np.bincount(prompts, passed.astype(float))
    informative = several & (passes[prompts] > 0) & (passes[prompts] < counts[prompts])
    n_prompts = int(len(np.unique(prompts[informative])))
    out: dict[str, Any] = {"prompts_with_several_attempts": int(len(np.unique(prompts[several]))),
                           "informative_prompts": n_prompts, "attempts": int(informative.sum())}
    if not n_prompts:
        return {"status": "no_information", **out,
                "reason": "no prompt has both a passing and a failing attempt; nothing to compare within prompts"}
    length, ok, prompt = lengths[informative], passed[informative].astype(float), prompts[informative]
    _, prompt = np.unique(prompt, return_inverse=True)
    d_length, d_ok = _demean(length, prompt), _demean(ok, prompt)
    r = _r(d_length, d_ok)
    if r is None:
        return {"status": "no_information", **out, "reason": "lengths do not vary within any informative prompt"}
    sd = float(lengths.std())
    names = sorted(set(policies.tolist()), key=lambda p: (-(policies == p).sum(), p))
    design = np.column_stack([(lengths - lengths.mean()) / sd, *((policies == p).astype(float) for p in names[1:])])
    columns = estimable_columns(prompts, design)
    covariates = ["length (per SD)"] + [f"policy={names[c]}" for c in columns[1:]]
    out.update({"status": "measured",
                "r": round(r, 4), "p": float(f"{correlation_p(r, len(length), n_prompts + 1):.3g}"),
                "by_deviation": _bins(d_length, d_ok, quantiles, "pass_minus_prompt_rate"),
                "conditional_logit": _conditional_logit(prompts, passed, informative, design, columns, covariates,
                                                        level, sd, names[0] if len(columns) > 1 else None)})
    return out


def _conditional_logit(prompts: np.ndarray, passed: np.ndarray, informative: np.ndarray, design: np.ndarray,
                       columns: list[int], covariates: list[str], level: float, sd: float,
                       reference: str | None) -> dict[str, Any]:
    """The fitted length effect, or why it was not fitted (no length variation within prompts, or fewer
    than EVENTS_PER_COVARIATE attempts of the rarer outcome per covariate: then the likelihood is
    close to separable and neither the estimate nor its test can be trusted)."""
    if not columns or columns[0] != 0:
        return {"fitted": False, "reason": "length does not vary within prompts once policy is accounted for"}
    events = int(min(passed[informative].sum(), (~passed[informative]).sum()))
    if events < EVENTS_PER_COVARIATE * len(columns):
        return {"fitted": False, "covariates": covariates,
                "reason": f"{events} attempt(s) of the rarer outcome in informative prompts for {len(columns)} "
                          f"covariate(s); the model needs {EVENTS_PER_COVARIATE} per covariate"}
    effect = first_effect(prompts, passed, design[:, columns], level)
    fit: dict[str, Any] = {
        "fitted": True, "direction": "negative" if effect.coef < 0 else "positive",
        "log_odds_ratio_per_sd": None if effect.separated else round(effect.coef, 4),
        "se": None if effect.se is None else round(effect.se, 4),
        "interval": None if effect.interval is None else [round(v, 4) for v in effect.interval],
        "level": level, "p": float(f"{effect.p:.3g}"), "test": "likelihood ratio", "sd_words": round(sd, 1),
        "covariates": covariates, "separated": effect.separated, "reference_policy": reference}
    if effect.separated:
        fit["note"] = ("length separates passes from failures within prompts: the odds ratio is unbounded (no "
                       "estimate, no Wald interval); the likelihood-ratio p stands")
    return fit


def _summary(lengths: np.ndarray, passed: np.ndarray, prompts: np.ndarray, policies: np.ndarray,
             quantiles: int, level: float) -> dict[str, Any]:
    right, wrong = lengths[passed], lengths[~passed]
    _, prompt = np.unique(prompts, return_inverse=True)
    counts = np.bincount(prompt)
    return {
        "attempts": len(lengths),
        "prompts": len(counts),
        "accuracy": round(float(passed.mean()), 4),
        "mean_words_right": round(float(right.mean()), 1) if len(right) else None,
        "mean_words_wrong": round(float(wrong.mean()), 1) if len(wrong) else None,
        "median_words_right": float(np.median(right)) if len(right) else None,
        "median_words_wrong": float(np.median(wrong)) if len(wrong) else None,
        "pooled": {**_correlation(lengths, passed.astype(float)), "note": POOLED_NOTE,
                   "by_length": _bins(lengths, passed.astype(float), quantiles, "accuracy")},
        "between_prompts": {**_correlation(np.bincount(prompt, lengths) / counts, np.bincount(prompt, passed) / counts),
                            "prompts": len(counts), "note": BETWEEN_NOTE},
        "within_prompts": _within(lengths, passed, prompt, policies, quantiles, level),
    }


class _Interned:
    def __init__(self) -> None:
        self.index: dict[object, int] = {}

    def __call__(self, key: object) -> int:
        return self.index.setdefault(key, len(self.index))

    def names(self) -> np.ndarray:
        return np.array(list(self.index), dtype=object)


@dataclass
class _Attempts:
    """One verifier's judged attempts, stored compactly (numbers per attempt, strings interned)."""

    lengths: array = field(default_factory=lambda: array("q"))
    passed: array = field(default_factory=lambda: array("b"))
    prompts: array = field(default_factory=lambda: array("q"))
    sources: array = field(default_factory=lambda: array("q"))
    policies: array = field(default_factory=lambda: array("q"))
    prompt_ids: _Interned = field(default_factory=_Interned)  # keys: prompt digests (bytes) or record ids
    source_ids: _Interned = field(default_factory=_Interned)
    policy_ids: _Interned = field(default_factory=_Interned)


@dataclass
class LengthTrapAudit:
    verifier: str | None = None
    flag_r: float = 0.1
    quantiles: int = 5
    alpha: float = 0.05
    level: float = 0.95
    rows: dict[str, _Attempts] = field(default_factory=dict)

    def add(self, outcomes: list[Outcome]) -> None:
        for row in outcomes:
            if self.verifier and row.verifier != self.verifier and not row.verifier.startswith(f"{self.verifier}@"):
                continue
            seen = self.rows.setdefault(row.verifier, _Attempts())
            seen.lengths.append(len(row.text.split()))
            seen.passed.append(bool(row.passed))
            seen.prompts.append(seen.prompt_ids(row.prompt or row.record_id))
            seen.sources.append(seen.source_ids(row.source))
            seen.policies.append(seen.policy_ids(row.policy or "unknown"))

    def result(self) -> dict[str, Any]:
        if not self.rows:
            return {"applicable": False, "reason": "no judged traces (verdicts on rollouts or answers) in the data"}
        verifier = max(self.rows, key=lambda v: (len(self.rows[v].lengths), v))
        seen = self.rows[verifier]
        lengths = np.array(seen.lengths, dtype=float)
        passed = np.array(seen.passed, dtype=bool)
        prompts = np.array(seen.prompts, dtype=np.int64)
        sources = seen.source_ids.names()[np.array(seen.sources, dtype=np.int64)]
        policies = seen.policy_ids.names()[np.array(seen.policies, dtype=np.int64)]

        def summary(mask: np.ndarray) -> dict[str, Any]:
            return _summary(lengths[mask], passed[mask], prompts[mask], policies[mask], self.quantiles, self.level)

        groups = {"overall": summary(np.ones(len(lengths), bool))}
        groups |= {f"source:{k}": summary(sources == k) for k in sorted(set(sources.tolist()))}
        groups |= {f"policy:{k}": summary(policies == k) for k in sorted(set(policies.tolist()))}
        tested = [k for k, g in groups.items() if (g["within_prompts"].get("conditional_logit") or {}).get("p") is not None]
        adjusted = dict(zip(tested, holm([groups[k]["within_prompts"]["conditional_logit"]["p"] for k in tested])))
        for name, group in groups.items():
            within = group["within_prompts"]
            if name in adjusted:
                within["p_holm"] = float(f"{adjusted[name]:.3g}")
            logit = within.get("conditional_logit") or {}
            group["flagged"] = bool(name in adjusted and logit["direction"] == "negative"
                                    and adjusted[name] < self.alpha and within["r"] <= -self.flag_r)
        flagged = [k for k, g in groups.items() if g["flagged"]]
        return {"applicable": True, "verifier": verifier, "length_unit": "words (whitespace-separated)",
                "flag_rule": (f"within prompts: conditional-logit log odds ratio of length < 0 with likelihood-ratio p "
                              f"< {self.alpha} after Holm's correction over the {len(tested)} group(s) tested, and "
                              f"prompt-demeaned r <= -{self.flag_r}; groups with one attempt per prompt are not tested"),
                "groups_tested": len(tested),
                "overall": groups["overall"],
                "by_source": {k.split(":", 1)[1]: v for k, v in groups.items() if k.startswith("source:")},
                "by_policy": {k.split(":", 1)[1]: v for k, v in groups.items() if k.startswith("policy:")},
                "flagged": flagged, "trap": bool(flagged)}
