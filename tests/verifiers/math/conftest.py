import pytest


@pytest.fixture(scope="module")
def sympy_worker_started():
    """A sympy worker's one-off start (importing sympy; not billed to a check) happens before any check is timed."""
    from reasonledger.verifiers.math.pool import shared_pool

    assert shared_pool().run("hold", (0.0,), 60.0) == ("ok", True)
