"""Small rollout_set records built in the tests (the real ones come from ../shared/data)."""

from __future__ import annotations

from typing import Any

from reasonledger.records.model import Kind, Record, Verdict


def rollout_set(prompt: str, passed: list[bool], dataset: str = "toy", row_id: str | None = None,
                rollout_meta: list[dict[str, Any]] | None = None, meta: dict[str, Any] | None = None,
                verifier: str = "exact", max_tokens: int | None = None) -> Record:
    metas = rollout_meta or [{} for _ in passed]
    return Record(
        kind=Kind.rollout_set,
        task={"prompt": prompt, "reference": "42", "source": {"dataset": dataset, "row_id": row_id}},
        behaviour={"rollouts": [{"response": f"answer {j}", "meta": m} for j, m in enumerate(metas)]},
        verdicts=[Verdict(verifier=verifier, version="1", target=f"rollout:{j}", score=float(ok), passed=ok)
                  for j, ok in enumerate(passed)],
        lineage={"events": [{"stage": "s", "step": "rollouts", "sampling": {"max_tokens": max_tokens}}]}
        if max_tokens else {},
        meta=meta or {},
    )
