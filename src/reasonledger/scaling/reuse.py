"""Reuse accounting: how often training saw each prompt, and whether the prompts still taught anything.

Each record is one visit of a prompt (an RL step's rollout group, say). Prompts are identified by
their normalised text, as exact dedup does. A visit is in the active band when the pass rate of its
rollouts lies strictly between `low` and `high` (by default 0 and 1: some but not all rollouts
passed, so group-relative advantages are not all zero). Time is `record.meta[time_field]` (the
training step) when every record has it, else the order of the records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from reasonledger.records.model import Record
from reasonledger.records.normalise import prompt_digest
from reasonledger.records.targets import rollout_verdicts


@dataclass
class _Visits:
    visits: Counter[bytes] = field(default_factory=Counter)
    answers: Counter[bytes] = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    pass_rates: list[float] = field(default_factory=list)  # NaN when the visit's rollouts are not all judged
    timed: bool = True


def _pass_rate(record: Record, verifier: str | None) -> float:
    rollouts = record.behaviour.rollouts or []
    verdicts = rollout_verdicts(record, verifier, strict=True)
    if not rollouts or set(verdicts) != set(range(len(rollouts))):
        return float("nan")
    return sum(v.passed for v in verdicts.values()) / len(rollouts)


def _collect(records: Iterable[Record], verifier: str | None, time_field: str) -> _Visits:
    out = _Visits()
    for position, record in enumerate(records):
        digest = prompt_digest(record)
        out.visits[digest] += 1
        out.answers[digest] += len(record.behaviour.rollouts or []) or int(record.behaviour.answer is not None
                                                                         or record.behaviour.response is not None)
        step = record.meta.get(time_field)
        out.timed &= isinstance(step, (int, float)) and not isinstance(step, bool)
        out.times.append(float(step) if out.timed else float(position))
        out.pass_rates.append(_pass_rate(record, verifier))
    if not out.timed:  # a partial time field cannot order the visits: fall back to record order for all
        out.times = [float(i) for i in range(len(out.times))]
    return out


def _spread(values: Iterable[int]) -> dict[str, float]:
    array = np.fromiter(values, dtype=float)
    if not len(array):
        return {"mean": 0.0, "median": 0.0, "min": 0.0, "max": 0.0}
    return {"mean": float(array.mean()), "median": float(np.median(array)),
            "min": float(array.min()), "max": float(array.max())}


def _windows(times: np.ndarray, rates: np.ndarray, low: float, high: float, windows: int) -> list[dict[str, object]]:
    """Equal-count windows of visits in time order, each with the share of judged visits in the band."""
    order = np.argsort(times, kind="stable")
    rows = []
    for chunk in np.array_split(order, min(windows, len(order))) if len(order) else []:
        judged = rates[chunk][~np.isnan(rates[chunk])]
        rows.append({"start": float(times[chunk[0]]), "end": float(times[chunk[-1]]), "visits": int(len(chunk)),
                     "judged": int(len(judged)),
                     "active_share": float(((judged > low) & (judged < high)).mean()) if len(judged) else None})
    return rows


def reuse_report(records: Iterable[Record], pool: Iterable[Record] | None = None, verifier: str | None = None,
                 low: float = 0.0, high: float = 1.0, windows: int = 10, time_field: str = "step") -> dict[str, object]:
    """Unique prompts, visits, reuse rate, epochs over the pool, answers per prompt, active band over time."""
    seen = _collect(records, verifier, time_field)
    visits, unique = sum(seen.visits.values()), len(seen.visits)
    report: dict[str, object] = {
        "visits": visits, "unique_prompts": unique,
        "reuse_rate": 1.0 - unique / visits if visits else 0.0,
        "visits_per_prompt": _spread(seen.visits.values()),
        "answers": sum(seen.answers.values()), "answers_per_prompt": _spread(seen.answers.values()),
    }
    if pool is not None:
        pool_digests = {prompt_digest(record) for record in pool}
        report.update({"pool_prompts": len(pool_digests),
                       "epochs": visits / len(pool_digests) if pool_digests else None,
                       "pool_coverage": len(pool_digests & seen.visits.keys()) / len(pool_digests) if pool_digests else None,
                       "outside_pool": len(seen.visits.keys() - pool_digests)})
    else:
        report["epochs"] = None
    rates = np.array(seen.pass_rates, dtype=float)
    judged = int((~np.isnan(rates)).sum())
    report["active_band"] = {
        "low": low, "high": high, "time": f"meta.{time_field}" if seen.timed and visits else "record order",
        "judged_visits": judged, "unjudged_visits": visits - judged,
        "windows": _windows(np.array(seen.times), rates, low, high, windows) if judged else [],
    }
    return report
