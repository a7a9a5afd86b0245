"""Fixtures for the construction tests: the OpenAI-protocol test server (`serve`, shared with the
generation tests) and small record builders."""

from __future__ import annotations

from typing import Any

from reasonledger.records.model import Record
from tests.generation.servers import serve  # noqa: F401  (the fixture, by name)


def prompt_record(prompt: str, reference: Any, verifier: str = "exact", row: int = 0) -> Record:
    return Record(kind="prompt_answer", task={"prompt": prompt, "reference": reference, "domain": "math",
                                              "source": {"dataset": "tests/construct", "row_id": str(row)},
                                              "verifier": {"name": verifier}})
