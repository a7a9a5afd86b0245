"""The pinned initial state of each τ-bench domain at each data revision: τ-bench's own data hash of
the untouched database. An environment refuses data that does not hash to its pin, and an importer
can stamp a spec's `initial_state_hash` from here without loading the data."""

from __future__ import annotations

INITIAL_STATE_HASHES: dict[tuple[str, str], str] = {
    ("tau_airline", "59a200c"): "4587e6b48ad2b2c4f3e1fecb40aabec7bb2286513273b8f8cec3f5865222f290",
    ("tau_airline", "7362a17"): "4a02dcbc0e3ace4d398988d60a33e73afad4d201deb426303159f086cadad20f",
    ("tau_retail", "59a200c"): "5a4b2cb59f4d12dea7e4adff24a7f8fada510ead49372ea4a729a82bbb5f49b5",
    ("tau_retail", "7362a17"): "835f402e86a2f9f1b7d82d8cc497c4f3310c7099db8148fa43709e0eaaf816ed",
}


def initial_state_hash(env: str, revision: str) -> str | None:
    """The pin for `env` at `revision`, or None when that revision is not pinned."""
    return INITIAL_STATE_HASHES.get((env, revision))
