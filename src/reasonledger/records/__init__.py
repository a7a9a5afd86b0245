"""The record model, its storage and the vocabulary every room reads records with (importers and
exporters are the formats room's)."""

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
