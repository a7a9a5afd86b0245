"""Construction: sources, generator backends, rollouts, filters and derived data."""

from reasonledger.construct import sources, verify  # noqa: F401  (registers sources and steps)
