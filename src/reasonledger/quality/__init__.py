"""Quality audits: dedup, contamination, difficulty, the known traps."""

from reasonledger.quality import dedup_exact  # noqa: F401  (registers steps)
from reasonledger.quality import steps  # noqa: F401  (registers decontaminate, near_dedup, audit)
