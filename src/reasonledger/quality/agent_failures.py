"""Agent failures: how a dataset's episodes fail, per environment, as the environment verifier's
replay judged them.

Failed episodes are kept in agent data (their outcome is training signal), so a release has to say
what its failures are: the outcomes (success, wrong_state, missing_output, truncated, agent_error,
policy_violation, env_error, env_revision_mismatch), the failed calls by kind (tool_error,
unknown_tool, bad_arguments, policy) and tool, how the episodes ended, and how many replays stopped
matching the recording (`first_divergence`). Episodes and tool trajectories no replay judged are
counted as unjudged, never guessed at.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reasonledger.records.agent import replay_verdict
from reasonledger.records.model import Kind, Record
from reasonledger.records.targets import step_index

AGENT_KINDS = (Kind.episode, Kind.tool_trajectory)
EXAMPLES = 5  # record ids kept per environment and failing outcome


@dataclass
class _Environment:
    episodes: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failed_calls: Counter[str] = field(default_factory=Counter)  # by error kind
    failing_tools: Counter[str] = field(default_factory=Counter)
    terminations: Counter[str] = field(default_factory=Counter)
    diverged: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    def result(self) -> dict[str, Any]:
        judged = sum(n for outcome, n in self.outcomes.items() if outcome != "unjudged")
        failed = sum(n for outcome, n in self.outcomes.items() if outcome not in ("success", "unjudged"))
        return {"episodes": self.episodes, "judged": judged, "failed": failed,
                "success_rate": round((judged - failed) / judged, 4) if judged else None,
                "outcomes": dict(self.outcomes.most_common()), "failed_calls": dict(self.failed_calls.most_common()),
                "failing_tools": dict(self.failing_tools.most_common(10)),
                "terminations": dict(self.terminations.most_common()), "replay_diverged": self.diverged,
                "examples": dict(sorted(self.examples.items()))}


class AgentFailureAudit:
    """Fed every record; counts only episodes and tool trajectories."""

    def __init__(self) -> None:
        self.by_env: dict[str, _Environment] = {}

    def add(self, record: Record) -> None:
        if record.kind not in AGENT_KINDS:
            return
        reference = record.task.reference
        env = str(reference.get("env") or "unknown") if isinstance(reference, dict) else "unknown"
        found = self.by_env.setdefault(env, _Environment())
        found.episodes += 1
        found.terminations[record.behaviour.termination or "unrecorded"] += 1
        verdict = replay_verdict(record)
        if verdict is None:
            found.outcomes["unjudged"] += 1
            return
        outcome = str(verdict.evidence.get("outcome") or ("success" if verdict.passed else "failed"))
        found.outcomes[outcome] += 1
        if verdict.evidence.get("first_divergence") is not None:
            found.diverged += 1
        if outcome != "success":
            kept = found.examples.setdefault(outcome, [])
            if len(kept) < EXAMPLES:
                kept.append(record.id)
        same_run = (verdict.verifier, verdict.version, verdict.config_hash)
        for step in record.verdicts:
            if step_index(step.target) is not None and (step.verifier, step.version, step.config_hash) == same_run:
                found.failed_calls[str(step.evidence.get("error_kind") or "unknown")] += 1
                found.failing_tools[str(step.evidence.get("name") or "unknown")] += 1

    def result(self) -> dict[str, Any]:
        if not self.by_env:
            return {"applicable": False, "reason": "no episode or tool trajectory records"}
        by_env = {env: found.result() for env, found in sorted(self.by_env.items())}
        outcomes: Counter[str] = Counter()
        calls: Counter[str] = Counter()
        for found in self.by_env.values():
            outcomes.update(found.outcomes)
            calls.update(found.failed_calls)
        return {"applicable": True, "episodes": sum(e["episodes"] for e in by_env.values()),
                "judged": sum(e["judged"] for e in by_env.values()),
                "flagged": sum(e["failed"] for e in by_env.values()),
                "outcomes": dict(outcomes.most_common()), "failed_calls": dict(calls.most_common()),
                "by_environment": by_env}
