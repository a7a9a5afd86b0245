"""Fixtures for the generation tests."""

from tests.generation.servers import serve  # noqa: F401  (the fixture, by name)
