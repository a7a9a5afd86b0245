"""Fixtures for the construction tests: a real OpenAI-protocol server on 127.0.0.1 (a free port),
run in a background thread, that counts every request; and small record builders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from reasonledger.construct.openai_server import Answerer, Faults, OpenAIServer, ServerThread
from reasonledger.records.model import Record


@pytest.fixture
def serve() -> Callable[..., Any]:
    """`with serve(answer, faults) as server:` — the server stops when the block ends."""

    @contextmanager
    def running(answer: Answerer, faults: Faults | None = None, **options: Any) -> Iterator[OpenAIServer]:
        with ServerThread(OpenAIServer(answer, faults, max_requests=20_000, **options)) as server:
            yield server

    return running


def prompt_record(prompt: str, reference: Any, verifier: str = "exact", row: int = 0) -> Record:
    return Record(kind="prompt_answer", task={"prompt": prompt, "reference": reference, "domain": "math",
                                              "source": {"dataset": "tests/construct", "row_id": str(row)},
                                              "verifier": {"name": verifier}})
