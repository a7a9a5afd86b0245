"""The survey's literature atlas (RenBing-Sumeru/Awesome-LLM-Reasoning-Data), shipped pinned: load it,
map it onto reasonledger's verifier families, record kinds and steps, query it, and cite it from cards."""

from reasonledger.atlas.fields import Tagged, classify
from reasonledger.atlas.load import Atlas, AtlasError, Entry, load

__all__ = ["Atlas", "AtlasError", "Entry", "Tagged", "classify", "load"]
