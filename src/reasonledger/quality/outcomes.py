"""Judged attempts: one row per (record, target) with a verdict, the text judged and its conditioning.

Difficulty, the length trap and verifier agreement all read the same facts from a record: which
part of the behaviour was judged, by which verifier, with what result, and which policy at which
sampling settings produced it. This module pulls them out once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reasonledger.records.model import Record
from reasonledger.records.normalise import prompt_digest
from reasonledger.records.targets import rollout_index, targets


@dataclass
class Outcome:
    record_id: str
    source: str
    target: str
    text: str
    verifier: str  # id@version
    label_source: str
    passed: bool
    policy: str | None
    temperature: Any
    prompt: bytes = b""  # digest of the normalised prompt: attempts at one prompt share it across records


def verifier_key(verifier: str, version: str) -> str:
    return f"{verifier}@{version}"


def _policy(record: Record, target: str) -> tuple[str | None, Any]:
    """(model, temperature) for a target: the rollout's own meta first, then the lineage, then meta."""
    model, temperature = None, None
    index = rollout_index(target)
    if index is not None and index < len(record.behaviour.rollouts or []):
        meta = record.behaviour.rollouts[index].meta
        model, temperature = meta.get("model"), meta.get("temperature", (meta.get("sampling") or {}).get("temperature"))
    for event in reversed(record.lineage.events):
        model = model or event.model
        if temperature is None and event.sampling:
            temperature = event.sampling.get("temperature")
    return model or record.meta.get("generator") or record.meta.get("model"), temperature


def source_name(record: Record) -> str:
    return record.task.source.dataset


def outcomes(record: Record) -> list[Outcome]:
    """Every verdict on a behaviour target of the record (verdicts on the reference are skipped)."""
    texts = dict(targets(record))
    if record.behaviour.steps and "answer" not in texts:  # a step trace is judged as a whole
        texts["answer"] = "\n".join(step.text for step in record.behaviour.steps)
    rows = []
    prompt = b""
    for verdict in record.verdicts:
        if verdict.target not in texts:
            continue
        prompt = prompt or prompt_digest(record)
        policy, temperature = _policy(record, verdict.target)
        rows.append(Outcome(record.id, source_name(record), verdict.target, texts[verdict.target],
                            verifier_key(verdict.verifier, verdict.version), verdict.label_source, verdict.passed,
                            policy, temperature, prompt))
    return rows
