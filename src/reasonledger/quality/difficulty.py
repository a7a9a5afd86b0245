"""Difficulty from rollouts: pass rate per prompt with a Beta posterior interval, and the band.

Difficulty is model-relative: a pass rate means nothing without the policy that sampled, how
many samples, at which temperature, and which verifier judged them. So this section always
carries that conditioning, and says `unknown` where the data does not record it; no band share
is reported without it. k passes in n give the posterior Beta(a + k, b + n - k) under the prior
Beta(a, b); prior and level default to `reasonledger.stats.beta.DEFAULT_POSTERIOR`, the same as the
`pass_rate` step's, and the section records which were used.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from reasonledger.quality.outcomes import Outcome
from reasonledger.stats.beta import DEFAULT_POSTERIOR, beta_interval, posterior_record

UNKNOWN = "unknown"


@dataclass
class DifficultyAudit:
    """Accumulates pass/fail per prompt for one verifier (the configured one, or the commonest)."""

    verifier: str | None = None
    band: tuple[float, float] = (0.25, 0.75)
    level: float = DEFAULT_POSTERIOR.level
    prior: tuple[float, float] = DEFAULT_POSTERIOR.prior
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
        intervals = {rid: beta_interval(passed, n, self.prior, self.level) for rid, (passed, n) in tallies.items()}
        confident = [rid for rid, (lo, hi) in intervals.items() if low <= lo and hi <= high]
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
            "posterior": posterior_record(self.prior, self.level),
            "by_source": {s: {"prompts": len(v), "mean_pass_rate": round(sum(v) / len(v), 4),
                              "band_share": round(sum(low <= r <= high for r in v) / len(v), 4)}
                          for s, v in sorted(by_source.items())},
            "per_prompt": [{"record_id": rid, "passed": p, "n": n, "pass_rate": round(p / n, 4),
                            "interval": [round(v, 4) for v in intervals[rid]]} for rid, (p, n) in listed],
            "per_prompt_truncated": len(tallies) > len(listed),
        }
