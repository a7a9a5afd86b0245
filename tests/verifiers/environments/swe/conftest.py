"""What the swe tests share: one sandbox (a code verifier, 2 slots) per module, and the real data folder
for module-scoped fixtures."""

from __future__ import annotations

import pytest

from reasonledger.verifiers.code.verifier import CodeVerifier
from tests.conftest import SHARED_DATA


@pytest.fixture(scope="module")
def verifier():
    v = CodeVerifier(time_limit=4.0, slots=2)
    yield v
    v.close()


@pytest.fixture(scope="module")
def shared_data_module():
    """The real data folder for module-scoped fixtures; skips with a message when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA} (set REASONLEDGER_SHARED_DATA)")
    return SHARED_DATA
