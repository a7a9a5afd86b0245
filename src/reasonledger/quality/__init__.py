"""Quality audits: dedup, contamination, difficulty, the known traps."""

# Importing the step modules registers their steps (dedup; decontaminate, near_dedup, audit).
from reasonledger.quality import dedup_exact, steps  # noqa: F401
