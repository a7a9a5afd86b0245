"""The `serve` fixture shared by the generation and construction tests: a real OpenAI-protocol server
on 127.0.0.1 (a free port), run in a background thread, that counts every request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from reasonledger.generation.openai_server import Answerer, Faults, OpenAIServer, ServerThread


@pytest.fixture
def serve() -> Callable[..., Any]:
    """`with serve(answer, faults) as server:` — the server stops when the block ends."""

    @contextmanager
    def running(answer: Answerer, faults: Faults | None = None, **options: Any) -> Iterator[OpenAIServer]:
        with ServerThread(OpenAIServer(answer, faults, max_requests=20_000, **options)) as server:
            yield server

    return running
