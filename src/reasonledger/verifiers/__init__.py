"""Verifiers: programmatic, environmental and judgment checks, each versioned and carded."""

from reasonledger.verifiers.base import Verifier
from reasonledger.verifiers.registry import available_verifiers, get_verifier, register, verifier_class

__all__ = ["Verifier", "available_verifiers", "get_verifier", "register", "verifier_class"]
