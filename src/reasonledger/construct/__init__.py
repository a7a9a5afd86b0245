"""Construction: sources, rollouts and agent episodes, filters and derived data."""

from reasonledger.construct import file_source, sources, swe_lite, verify  # noqa: F401  (registers sources and steps)
from reasonledger.construct import (  # noqa: F401  (registers the model-in-the-loop steps)
    band, consistency, episodes, passrate, preference, process_labels, rejection, rollouts)
