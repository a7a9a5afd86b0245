"""Quality audits: dedup, contamination, difficulty, the known traps."""

from reasonledger.quality import dedup_exact  # noqa: F401  (registers steps)
