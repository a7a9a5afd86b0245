"""What the code-verifier tests share: the skip mark for machines without a sandbox, and one verifier."""

from __future__ import annotations

import pytest

from reasonledger.verifiers import get_verifier
from reasonledger.verifiers.code.probe import probe

needs_sandbox = pytest.mark.skipif(probe()["level_value"] < 2, reason=f"no sandbox here: {probe().get('missing')}")


def code_verifier(**config):
    """A code verifier for one test module (2 s per test, 2 slots unless said), closed after it."""
    v = get_verifier("code", **{"time_limit": 2.0, "slots": 2, **config})
    yield v
    v.close()
