"""GSM8K (`question`, `answer` with the final answer after ####) and its example model solutions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.formats.importers._common import json_rows
from reasonledger.records.jsonl import parse_rows
from reasonledger.records.model import Kind, Record, Verdict
from reasonledger.records.quarantine import BadRow
from reasonledger.records.targets import rollout_target

GSM8K = {"dataset": "openai/gsm8k", "revision": "3101c7d", "license": "MIT"}
MATH_CONTRACT = {"name": "math"}
_FINAL = re.compile(r"(?:####|^A:)\s*(.+?)\s*$", re.MULTILINE)
_CALCULATOR = re.compile(r"<<[^>]*>>")


def final_answer(solution: str) -> str:
    """The text after the last `####` (test set) or `A:` (example solutions), commas removed."""
    matches = _FINAL.findall(solution)
    if not matches:
        raise ValueError("no final answer after '####' or 'A:'")
    return matches[-1].replace(",", "").strip()


def read_gsm8k(path: Path, split: str = "test") -> Iterator[Record | BadRow]:
    def convert(row: dict[str, Any], number: int) -> Record:
        return Record(kind=Kind.prompt_answer, task={
            "prompt": row["question"],
            "reference": final_answer(row["answer"]),
            "domain": "math",
            "source": {**GSM8K, "split": split, "row_id": str(number - 1)},
            "verifier": MATH_CONTRACT,
        }, meta={"rationale": _CALCULATOR.sub("", row["answer"])})

    yield from parse_rows(json_rows(path), str(path), convert)


def read_gsm8k_solutions(path: Path) -> Iterator[Record | BadRow]:
    """One rollout_set per problem; the authors' grader labels become verdicts on each rollout."""
    def convert(row: dict[str, Any], number: int) -> Record:
        models = sorted(k for k, v in row.items() if isinstance(v, dict) and "solution" in v)
        rollouts = [{"response": row[m]["solution"], "meta": {"model": m}} for m in models]
        verdicts = [
            Verdict(verifier="gsm8k_authors_grader", version="3101c7d", target=rollout_target(j),
                    score=float(row[m]["is_correct"]), passed=bool(row[m]["is_correct"]),
                    evidence={"model": m, "origin": "example_model_solutions.jsonl is_correct"})
            for j, m in enumerate(models)
        ]
        return Record(kind=Kind.rollout_set, task={
            "prompt": row["question"],
            "reference": final_answer(row["ground_truth"]),
            "domain": "math",
            "source": {**GSM8K, "split": "test", "row_id": str(number - 1)},
            "verifier": MATH_CONTRACT,
        }, behaviour={"rollouts": rollouts}, verdicts=verdicts)

    yield from parse_rows(json_rows(path), str(path), convert)
