"""The sandboxed code verifier: `get_verifier("code")`.

Untrusted code runs in a warm pool of locked-down workers (namespaces, Landlock, seccomp, a
uid per slot, cgroups, rlimits) or, as a fallback, under bubblewrap; pass or fail is decided in
this process from serialised plain values. See verifier.py for the entry point and card.py
for what it is known to get wrong.
"""

from reasonledger.verifiers.code.verifier import CodeVerifier

__all__ = ["CodeVerifier"]
