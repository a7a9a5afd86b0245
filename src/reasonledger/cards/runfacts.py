"""What the run log says about a build: declared sources, when it finished, the funnel per stage and drop
reason, and per source (the `accounting` event: read, dropped by step and reason, released, the loss floor)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from reasonledger.engine.runlog import RunLog, latest_by
from reasonledger.engine.step import flat_counts
from reasonledger.generation.generator import COUNTS as GENERATION_COUNTS
from reasonledger.generation.generator import TALLIES as GENERATION_TALLIES
# What every run-log event carries besides its own fields.
RUNLOG_FIELDS = ("event", "time", "package_version")


def _last(events: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next((e for e in reversed(events) if e.get("event") == name), {})


def funnel(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per stage and step, and totals per drop reason, from the last event of each stage. Each
    step carries its counters one name each as the card spells them (`counters`) and broken down by
    dimension as its stats hold them (`by`, which the card leaves out)."""
    stages = latest_by(events, "stage", "stage")
    steps: list[dict[str, Any]] = []
    by_reason: Counter[str] = Counter()
    for name in sorted(stages):
        event = stages[name]
        for step in event.get("steps", []):
            steps.append({"stage": name, "step": step["step"], "label": step.get("label", step["step"]),
                          "params": step.get("params", {}), "params_hash": step.get("params_hash", ""),
                          "versions": step.get("versions", {}), "in": step["in"], "out": step["out"],
                          "dropped": step.get("dropped", {}),
                          "counters": flat_counts(step.get("counters", {}), step.get("by", {})),
                          "by": step.get("by", {})})
            by_reason.update(step.get("dropped", {}))
    first = stages[min(stages)] if stages else {}
    counts: Counter[str] = Counter()
    tallies: dict[str, Counter[str]] = {}
    for step in steps:
        counts.update({name: step["counters"][name] for name in GENERATION_COUNTS if name in step["counters"]})
        for dimension in GENERATION_TALLIES:
            tallies.setdefault(dimension, Counter()).update(step["by"].get(dimension, {}))
    outputs = _last(events, "outputs")
    recorded = _last(events, "accounting")
    return {
        "read": first.get("records_in", 0),
        "quarantined": sum(e.get("quarantined", 0) for e in stages.values()),
        "steps": steps,
        "dropped_by_reason": dict(sorted(by_reason.items())),
        "rejected": outputs.get("rejected", sum(by_reason.values())),
        "generation": flat_counts(counts, tallies),
        "released": outputs.get("records", stages[max(stages)].get("records_out", 0) if stages else 0),
        "by_source": {k: v for k, v in recorded.items() if k not in RUNLOG_FIELDS} if recorded else {
            "status": "not_recorded", "reason": "the run log holds no per-source accounting (a run built before it, "
                                                "or records imported without a build)"},
    }


def run_facts(run_dir: Path) -> dict[str, Any]:
    events = list(RunLog(run_dir).events())
    finished = _last(events, "outputs") or _last(events, "run_end")
    return {
        "declared_sources": _last(events, "run_start").get("sources", []),
        "finished": finished.get("time", "unknown"),
        "funnel": funnel(events),
    }
