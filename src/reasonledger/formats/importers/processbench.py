"""ProcessBench: solutions split into steps, with the human-labelled index of the first wrong step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.formats.importers._common import json_rows
from reasonledger.records.jsonl import parse_rows
from reasonledger.records.model import Kind, Record, Verdict
from reasonledger.records.quarantine import BadRow

SOURCE = {"dataset": "Qwen/ProcessBench", "revision": "2f2fd8a", "license": "Apache-2.0"}


def step_labels(n_steps: int, first_error: int) -> list[float | None]:
    """1 before the first error, 0 at it, unknown after it (ProcessBench labels only the first)."""
    if first_error < 0:
        return [1.0] * n_steps
    return [1.0 if i < first_error else 0.0 if i == first_error else None for i in range(n_steps)]


def read_processbench(path: Path) -> Iterator[Record | BadRow]:
    subset = path.stem

    def convert(row: dict[str, Any], number: int) -> Record:
        steps, first_error = row["steps"], int(row["label"])
        if not isinstance(steps, list) or not steps or first_error >= len(steps):
            raise ValueError(f"label {first_error} does not index the {len(steps)} steps")
        labels = step_labels(len(steps), first_error)
        return Record(
            kind=Kind.step_trace,
            task={"prompt": row["problem"], "reference": None, "domain": "math",
                  "source": {**SOURCE, "split": subset, "row_id": str(row.get("id", number))}},
            behaviour={"steps": [{"text": s, "label": lab, "label_source": None if lab is None else "human"}
                                 for s, lab in zip(steps, labels)]},
            verdicts=[Verdict(verifier="processbench_annotation", version="2f2fd8a", target="answer",
                              score=float(row["final_answer_correct"]), passed=bool(row["final_answer_correct"]),
                              label_source="human", evidence={"first_error_step": first_error})],
            meta={"generator": row.get("generator")},
        )

    yield from parse_rows(json_rows(path), str(path), convert)
