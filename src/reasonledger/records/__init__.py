"""The record model, its storage, importers and exporters."""

from reasonledger.records.model import (
    SCHEMA_VERSION,
    Behaviour,
    Kind,
    Lineage,
    LineageEvent,
    Message,
    Record,
    Rollout,
    Source,
    Step,
    Task,
    Verdict,
    VerifierSpec,
    canonical_json,
    content_id,
    prompt_text,
)

__all__ = [
    "SCHEMA_VERSION", "Behaviour", "Kind", "Lineage", "LineageEvent", "Message", "Record", "Rollout",
    "Source", "Step", "Task", "Verdict", "VerifierSpec", "canonical_json", "content_id", "prompt_text",
]
