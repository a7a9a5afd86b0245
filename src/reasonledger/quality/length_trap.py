"""The length trap: long traces are not better reasoning. Trace length against correctness.

For every judged attempt (one verifier), the length in words and whether it passed. Reported
overall, per source and per policy: the point-biserial correlation (Pearson's r between length
and pass), mean lengths of right and wrong attempts, and accuracy by length quintile. A group is
flagged when longer attempts are the wrong ones: r at or below -`flag_r`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reasonledger.quality.outcomes import Outcome


def _summary(lengths: np.ndarray, passed: np.ndarray, flag_r: float, quantiles: int) -> dict[str, Any]:
    right, wrong = lengths[passed], lengths[~passed]
    r = None
    if len(right) and len(wrong) and lengths.std() > 0:
        r = float(np.corrcoef(lengths, passed.astype(float))[0, 1])
    edges = np.unique(np.quantile(lengths, np.linspace(0, 1, quantiles + 1)))
    which = np.clip(np.searchsorted(edges, lengths, side="right") - 1, 0, max(len(edges) - 2, 0))
    by_length = [{"from_words": int(edges[i]), "to_words": int(edges[i + 1]), "attempts": int((which == i).sum()),
                  "accuracy": round(float(passed[which == i].mean()), 4)}
                 for i in range(len(edges) - 1) if (which == i).any()]
    return {
        "attempts": len(lengths),
        "accuracy": round(float(passed.mean()), 4),
        "correlation": None if r is None else round(r, 4),
        "mean_words_right": round(float(right.mean()), 1) if len(right) else None,
        "mean_words_wrong": round(float(wrong.mean()), 1) if len(wrong) else None,
        "median_words_right": float(np.median(right)) if len(right) else None,
        "median_words_wrong": float(np.median(wrong)) if len(wrong) else None,
        "by_length": by_length,
        "flagged": r is not None and r <= -flag_r,
    }


@dataclass
class LengthTrapAudit:
    verifier: str | None = None
    flag_r: float = 0.1
    quantiles: int = 5
    rows: dict[str, list[tuple[int, bool, str, str]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, outcomes: list[Outcome]) -> None:
        for row in outcomes:
            if self.verifier and row.verifier != self.verifier and not row.verifier.startswith(f"{self.verifier}@"):
                continue
            self.rows[row.verifier].append((len(row.text.split()), row.passed, row.source, row.policy or "unknown"))

    def arrays(self) -> tuple[str, np.ndarray, np.ndarray, list[str], list[str]] | None:
        """(verifier, lengths, passed, sources, policies) of the verifier with most attempts."""
        if not self.rows:
            return None
        chosen = max(self.rows, key=lambda v: (len(self.rows[v]), v))
        rows = self.rows[chosen]
        return (chosen, np.array([r[0] for r in rows], float), np.array([r[1] for r in rows], bool),
                [r[2] for r in rows], [r[3] for r in rows])

    def result(self) -> dict[str, Any]:
        data = self.arrays()
        if data is None:
            return {"applicable": False, "reason": "no judged traces (verdicts on rollouts or answers) in the data"}
        verifier, lengths, passed, sources, policies = data

        def grouped(keys: list[str]) -> dict[str, Any]:
            out = {}
            for key in sorted(set(keys)):
                mask = np.array([k == key for k in keys])
                out[key] = _summary(lengths[mask], passed[mask], self.flag_r, self.quantiles)
            return out

        overall = _summary(lengths, passed, self.flag_r, self.quantiles)
        by_source, by_policy = grouped(sources), grouped(policies)
        flagged = ["overall"] if overall["flagged"] else []
        flagged += [f"source:{k}" for k, v in by_source.items() if v["flagged"]]
        flagged += [f"policy:{k}" for k, v in by_policy.items() if v["flagged"]]
        return {"applicable": True, "verifier": verifier, "length_unit": "words (whitespace-separated)",
                "flag_rule": f"correlation of length with passing <= -{self.flag_r}",
                "overall": overall, "by_source": by_source, "by_policy": by_policy,
                "flagged": flagged, "trap": bool(flagged)}
