"""Fixtures for the generation tests."""

from tests.generation.servers import serve  # noqa: F401  (the fixture, by name)
from tests.generation.llamacpp import llama_server  # noqa: F401  (the live-path server, skipped without the extra)
