"""HumanEval, HumanEval+ and MBPP: the code verifier's dataset readers turned into records."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from reasonledger.formats.importers._common import json_rows
from reasonledger.records.model import Kind, Record
from reasonledger.records.quarantine import BadRow

SOURCES = {
    "humaneval": {"dataset": "openai/human-eval", "revision": "6d43fb9", "license": "MIT"},
    "humanevalplus": {"dataset": "evalplus/humanevalplus", "revision": "v0.1.10", "license": "Apache-2.0"},
    # the full set (mbpp.jsonl: `text`) and the hand-checked subset (sanitized-mbpp.json: `prompt`)
    # differ in prompts and tests: they are two sources, never counted as one
    "mbpp": {"dataset": "google-research/mbpp/full", "revision": None, "license": "CC-BY-4.0"},
    "mbpp-sanitized": {"dataset": "google-research/mbpp/sanitized", "revision": None, "license": "CC-BY-4.0"},
}


def _records(path: Path, name: str, rows: Iterator[dict[str, Any]], attach_solutions: bool) -> Iterator[Record | BadRow]:
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except (OSError, EOFError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError,
                RecursionError) as exc:  # the dataset reader stops at a row it cannot parse
            yield BadRow(str(path), number + 1, f"stopped reading here: {type(exc).__name__}: {exc}; "
                         "rows from here on are not imported (fix this row and import again)")
            return
        number += 1
        try:
            behaviour = {"response": row["canonical_solution"]} if attach_solutions else {}
            yield Record(kind=Kind.prompt_answer, task={
                "prompt": row["prompt"], "reference": row["reference"], "domain": "code",
                "source": {**SOURCES[name], "row_id": str(row["row_id"])},
                "verifier": {"name": "code"},
            }, behaviour=behaviour, meta={"solution_origin": "dataset canonical solution"} if attach_solutions else {})
        except (KeyError, ValueError, TypeError) as exc:
            yield BadRow(str(path), number, f"{type(exc).__name__}: {exc}")


def read_humaneval(path: Path, attach_solutions: bool = False) -> Iterator[Record | BadRow]:
    from reasonledger.verifiers.code.datasets import humaneval_references
    return _records(path, "humaneval", iter(humaneval_references(path)), attach_solutions)


def read_humanevalplus(path: Path, attach_solutions: bool = False) -> Iterator[Record | BadRow]:
    from reasonledger.verifiers.code.datasets import humaneval_references
    return _records(path, "humanevalplus", iter(humaneval_references(path)), attach_solutions)


def mbpp_variant(path: Path) -> str:
    """`mbpp-sanitized` when the first row has the sanitized set's `prompt` field, else `mbpp` (full)."""
    with closing(json_rows(path)) as rows:
        first = next((item for item in rows if not isinstance(item, BadRow)), (0, None))[1]
    return "mbpp-sanitized" if isinstance(first, dict) and "prompt" in first else "mbpp"


def read_mbpp(path: Path, attach_solutions: bool = False) -> Iterator[Record | BadRow]:
    from reasonledger.verifiers.code.datasets import mbpp_references
    return _records(path, mbpp_variant(path), iter(mbpp_references(path)), attach_solutions)
