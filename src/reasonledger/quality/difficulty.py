"""Difficulty from rollouts: pass rate per prompt with a Beta posterior interval, and the band.

Difficulty is model-relative: a pass rate means nothing without the policy that sampled, how
many samples, at which temperature, and which verifier judged them. So this section always
carries that conditioning, and says `unknown` where the data does not record it; no band share
is reported without it. With a uniform prior, k passes in n give the posterior Beta(k+1, n-k+1).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from reasonledger.quality.outcomes import Outcome

UNKNOWN = "unknown"


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta (Lentz's method)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-12:
            break
    return h


def beta_cdf(x: float, a: float, b: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def beta_quantile(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b), by bisection on `beta_cdf`."""
    low, high = 0.0, 1.0
    for _ in range(64):
        mid = (low + high) / 2
        low, high = (mid, high) if beta_cdf(mid, a, b) < q else (low, mid)
    return (low + high) / 2


@lru_cache(maxsize=65536)
def beta_interval(passed: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Equal-tailed posterior interval of the pass rate after `passed` of `n`, uniform prior."""
    a, b = passed + 1, n - passed + 1
    tail = (1 - level) / 2
    return round(beta_quantile(tail, a, b), 4), round(beta_quantile(1 - tail, a, b), 4)


@dataclass
class DifficultyAudit:
    """Accumulates pass/fail per prompt for one verifier (the configured one, or the commonest)."""

    verifier: str | None = None
    band: tuple[float, float] = (0.25, 0.75)
    level: float = 0.95
    bins: int = 10
    max_listed: int = 5000
    tallies: dict[str, dict[str, list[int]]] = field(default_factory=lambda: defaultdict(dict))
    sources: dict[str, str] = field(default_factory=dict)
    policies: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    temperatures: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, rows: list[Outcome]) -> None:
        for row in rows:
            if self.verifier and row.verifier != self.verifier and not row.verifier.startswith(f"{self.verifier}@"):
                continue
            tally = self.tallies[row.verifier].setdefault(row.record_id, [0, 0])
            tally[0] += row.passed
            tally[1] += 1
            self.sources[row.record_id] = row.source
            self.policies[row.verifier][row.policy or UNKNOWN] += 1
            self.temperatures[row.verifier][UNKNOWN if row.temperature is None else str(row.temperature)] += 1

    def result(self) -> dict[str, Any]:
        if not self.tallies:
            return {"applicable": False, "reason": "no record carries verdicts on rollouts or answers"
                    + (f" from verifier {self.verifier}" if self.verifier else "")}
        chosen = max(self.tallies, key=lambda v: (len(self.tallies[v]), v))
        tallies = self.tallies[chosen]
        rates = {rid: passed / n for rid, (passed, n) in tallies.items()}
        low, high = self.band
        in_band = [rid for rid, rate in rates.items() if low <= rate <= high]
        confident = [rid for rid, (passed, n) in tallies.items()
                     if low <= beta_interval(passed, n, self.level)[0] and beta_interval(passed, n, self.level)[1] <= high]
        edges = [i / self.bins for i in range(self.bins + 1)]
        counts = [0] * self.bins
        for rate in rates.values():
            counts[min(int(rate * self.bins), self.bins - 1)] += 1
        by_source: dict[str, list[float]] = defaultdict(list)
        for rid, rate in rates.items():
            by_source[self.sources[rid]].append(rate)
        ns = Counter(n for _, n in tallies.values())
        listed = sorted(tallies.items())[: self.max_listed]
        return {
            "applicable": True,
            "conditioning": {
                "policy": dict(sorted(self.policies[chosen].items())),
                "n": {str(k): v for k, v in sorted(ns.items())},
                "temperature": dict(sorted(self.temperatures[chosen].items())),
                "verifier": chosen,
                "other_verifiers": sorted(v for v in self.tallies if v != chosen),
            },
            "prompts": len(rates),
            "mean_pass_rate": round(sum(rates.values()) / len(rates), 4),
            "solved_by_none": sum(1 for r in rates.values() if r == 0),
            "solved_by_all": sum(1 for r in rates.values() if r == 1),
            "histogram": {"edges": edges, "counts": counts},
            "band": {"low": low, "high": high, "count": len(in_band), "share": round(len(in_band) / len(rates), 4),
                     "confident_count": len(confident), "confident_share": round(len(confident) / len(rates), 4),
                     "confident_means": f"the whole {self.level:.0%} posterior interval lies inside the band"},
            "posterior": {"prior": "Beta(1, 1)", "level": self.level},
            "by_source": {s: {"prompts": len(v), "mean_pass_rate": round(sum(v) / len(v), 4),
                              "band_share": round(sum(low <= r <= high for r in v) / len(v), 4)}
                          for s, v in sorted(by_source.items())},
            "per_prompt": [{"record_id": rid, "passed": p, "n": n, "pass_rate": round(p / n, 4),
                            "interval": list(beta_interval(p, n, self.level))} for rid, (p, n) in listed],
            "per_prompt_truncated": len(tallies) > len(listed),
        }
