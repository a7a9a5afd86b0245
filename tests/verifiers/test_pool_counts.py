"""The verifier pool pairs each job with its own verdicts: a verifier that gives fewer (or empty)
results than it was asked for is an error, not verdicts shifted onto the jobs after it."""

from __future__ import annotations

import pytest

from reasonledger.verifiers import Verifier
from reasonledger.verifiers.pool import VerifierPool


class Skipping(Verifier):
    """Passes a response equal to its reference; with `skip`, gives no verdict for a response equal to it."""

    id = "skipping_probe"
    version = "0.0.1"

    def verdicts_many(self, pairs):
        skip = self.config.get("skip")
        return [[self.verdict(reference == response)] for reference, response in pairs
                if skip is None or response != skip] + ([[]] if self.config.get("empty") else [])


def jobs(verifier: Verifier) -> list:
    return [(verifier, reference, response, "answer") for reference, response in [("a", "a"), ("b", "x"), ("c", "c")]]


def test_each_job_gets_its_own_verdict():
    assert [v.passed for v in VerifierPool(None, {}, None).check(jobs(Skipping()))] == [True, False, True]


@pytest.mark.parametrize("config", [{"skip": "x"}, {"skip": "x", "empty": True}])
def test_a_verifier_giving_a_job_no_verdict_is_an_error(config):
    with pytest.raises(RuntimeError, match=r"skipping_probe@0.0.1 gave \d results, 2 with verdicts, for 3 responses"):
        VerifierPool(None, {}, None).check(jobs(Skipping(**config)))
