"""reasoning-gym-eval result files: per question, several completions with reasoning-gym's score."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.records.canonical import loads_row
from reasonledger.formats.importers._common import MAX_DOCUMENT_BYTES
from reasonledger.records.jsonl import parse_rows
from reasonledger.records.model import Kind, Record, Verdict
from reasonledger.records.quarantine import BadRow
from reasonledger.records.targets import rollout_target


def read_rg_rollouts(path: Path, model: str | None = None) -> Iterator[Record | BadRow]:
    """One rollout_set per question; the stored scores become verdicts labelled with their origin.

    The stored scores are reasoning-gym's at eval time, bugs included (see verifiers.reasoning_gym).
    """
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        yield BadRow(str(path), 0, f"{path.stat().st_size:,} bytes, over the {MAX_DOCUMENT_BYTES:,} a result file "
                     "is read whole; split it")
        return
    try:
        doc = loads_row(path.read_text(encoding="utf-8"))
        results, name, config = doc["results"], doc["name"], doc.get("config") or {}
        if not isinstance(results, list) or not isinstance(config, dict):
            raise TypeError("'results' must be a list and 'config' a mapping")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        yield BadRow(str(path), 0, f"not a reasoning-gym-eval result file ({exc}); expected keys 'name' and 'results'")
        return
    model = model or config.get("model") or "unknown"
    sampling = {k: v for k, v in config.items() if k in ("temperature", "top_p", "max_tokens")}

    def convert(row: dict[str, Any], number: int) -> Record:
        rollouts = [{"response": c["full_model_response"], "answer": c.get("model_answer"),
                     "meta": {"model": model}} for c in row["completions"]]
        verdicts = [Verdict(verifier="reasoning_gym_eval_score", version="reasoning-gym-eval@5f09fec",
                            target=rollout_target(j), score=float(c["score"]), passed=float(c["score"]) >= 1.0,
                            evidence={"origin": path.name, "dataset": name})
                    for j, c in enumerate(row["completions"])]
        return Record(
            kind=Kind.rollout_set,
            task={"prompt": row["question"], "reference": {"dataset": name, "answer": row["expected_answer"]},
                  "domain": doc.get("category") if isinstance(doc.get("category"), str) else None,
                  "source": {"dataset": f"reasoning-gym/{name}", "revision": "reasoning-gym-eval@5f09fec",
                             "license": "Apache-2.0", "row_id": str(number - 1)},
                  "verifier": {"name": "reasoning_gym", "config": {"dataset": name}}},
            behaviour={"rollouts": rollouts},
            verdicts=verdicts,
            lineage={"events": [{"stage": "import", "step": "rg_rollouts", "model": model, "sampling": sampling or None}]},
        )

    yield from parse_rows(enumerate(results, start=1), str(path), convert)
