"""The audit's sections, by name in the `audit section` registry, and those that read one record at a time.

A section is made from the audit's config (`AuditConfig`) and fed every record with its judged
outcomes (`quality.outcomes`); `result()` is its part of audit.json. reasonledger's own are named
in builtins.py; a plugin package adds one with `registry("audit section").add(name, factory)`, and
`reasonledger audit --only NAME` (or a recipe's `audit` step) runs it. The audits of the whole data
(contamination, near and exact duplicates, the mixture and its map) are sections too, in
`quality/whole_data.py`.
"""

from __future__ import annotations

from typing import Any, Protocol

from reasonledger.quality.agent_failures import AgentFailureAudit
from reasonledger.quality.agreement import AgreementAudit
from reasonledger.quality.consistency import ConsistencyAudit
from reasonledger.quality.difficulty import DifficultyAudit
from reasonledger.quality.length_trap import LengthTrapAudit
from reasonledger.quality.lineage import LineageAudit
from reasonledger.quality.outcomes import Outcome
from reasonledger.records.model import Record
from reasonledger.registry import registry


class AuditSection(Protocol):
    def add(self, record: Record, outcomes: list[Outcome]) -> None: ...

    def result(self) -> dict[str, Any]: ...


# name -> factory(config: AuditConfig) -> AuditSection
AUDIT_SECTIONS = registry("audit section")


class _OnOutcomes:
    """An audit fed the judged outcomes only."""

    def __init__(self, audit: Any) -> None:
        self.audit = audit

    def add(self, record: Record, outcomes: list[Outcome]) -> None:
        self.audit.add(outcomes)

    def result(self) -> dict[str, Any]:
        return self.audit.result()


class _OnRecord(_OnOutcomes):
    """An audit fed the record only."""

    def add(self, record: Record, outcomes: list[Outcome]) -> None:
        self.audit.add(record)


def difficulty(config: Any) -> AuditSection:
    return _OnOutcomes(DifficultyAudit(config.verifier, config.band, config.level))


def length_trap(config: Any) -> AuditSection:
    return _OnOutcomes(LengthTrapAudit(config.verifier, config.flag_r))


def trace_answer_consistency(config: Any) -> AuditSection:
    return _OnRecord(ConsistencyAudit())


def verifier_agreement(config: Any) -> AuditSection:
    return AgreementAudit(config.run_verifier, config.run_verifier_config, config.run_input)


def lineage_completeness(config: Any) -> AuditSection:
    return _OnRecord(LineageAudit())


def agent_failures(config: Any) -> AuditSection:
    return _OnRecord(AgentFailureAudit())
