"""reasoning-gym is the optional extra `[gym]`: the core (records, math and exact verifiers, rewards)
installs without it. Everything that needs it goes through here, so a missing install says which
extra brings it instead of failing with a bare ModuleNotFoundError."""

from __future__ import annotations

import importlib
import importlib.metadata
from types import ModuleType

DISTRIBUTION = "reasoning-gym"
INSTALL = "pip install 'reasonledger[gym]'"


class GymMissing(ModuleNotFoundError):
    """reasoning-gym is not installed; the message names the extra that installs it."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} needs reasoning-gym, which is not installed: {INSTALL}", name="reasoning_gym")


def version(what: str = "the reasoning_gym verifier") -> str:
    """The installed reasoning-gym version (recorded in every verdict and source revision)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise GymMissing(what) from None


def load(module: str = "reasoning_gym", what: str = "reasoning-gym tasks") -> ModuleType:
    """`import reasoning_gym` (or one of its modules), or GymMissing naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "reasoning_gym":
            raise
        raise GymMissing(what) from None
