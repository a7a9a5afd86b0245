"""The math verifier: extraction, parsing and bounded equivalence of final answers (see verifier.py)."""

from reasonledger.verifiers.math.verifier import MathVerifier

__all__ = ["MathVerifier"]
