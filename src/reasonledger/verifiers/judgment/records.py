"""Judgments as records: a judge's decision kept as a `judgment` record, not only as a number.

The record's task is what was judged (the prompt, the reference or rubric, the judge as its
verifier contract); its behaviour holds the response(s) judged and the judge's label; its verdicts
are the judge's, with `label_source: judge` and the model, template hash and request hashes in
their evidence; its lineage names the judge model, revision and decoding. A card that counts
verdicts by label source then says which share of its labels came from a judge.
"""

from __future__ import annotations

from typing import Any

from reasonledger.records.model import Behaviour, Kind, Lineage, LineageEvent, Record, Source, Task, Verdict, VerifierSpec
from reasonledger.verifiers.judgment.base import JudgmentVerifier


def judgment_record(verifier: JudgmentVerifier, prompt: str, reference: Any, judged: dict[str, Any],
                    verdicts: list[Verdict], source: Source) -> Record:
    """A `judgment` record of `verdicts` given by `verifier` on `judged` (the response, or the pair)."""
    if not verdicts or any(v.label_source != "judge" or v.verifier != verifier.id for v in verdicts):
        raise ValueError(f"a judgment record holds verdicts of the judge {verifier.id} itself (label_source judge)")
    decisive = verdicts[-1]
    label = decisive.evidence.get("outcome") or decisive.evidence.get("label") or (
        "pass" if decisive.passed else decisive.evidence.get("reason") or "fail")
    spec = verifier.spec
    return Record(
        kind=Kind.judgment,
        task=Task(prompt=prompt, reference=reference, source=source,
                  verifier=VerifierSpec(name=verifier.id, version=verifier.version, config=verifier.config)),
        behaviour=Behaviour(judgment={**judged, "label": label, "score": decisive.score, "passed": decisive.passed}),
        verdicts=verdicts,
        lineage=Lineage(events=[LineageEvent(stage="judge", step=verifier.id, params_hash=verifier.config_hash,
                                             model=spec.model, revision=spec.revision,
                                             sampling=spec.decoding.model_dump(), seed=spec.decoding.seed)]),
    )


__all__ = ["judgment_record"]
