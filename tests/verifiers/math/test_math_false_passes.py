"""Wrong answers that used to pass: each must fail with a reason, and the near-miss right ones still pass."""

import pytest

from reasonledger.verifiers.math import MathVerifier


@pytest.fixture(scope="module")
def v():
    return MathVerifier()


@pytest.mark.parametrize("reference,response,method", [
    (r"5 \text{ m}", r"5 \text{ cm}", "units"),
    (r"$5$ \text{ kg}", r"The mass is $\boxed{5 \text{ g}}$.", "units"),
    (r"5 \text{ m}", "The length is 5 cm.", "units"),
    ("2000000", "2000001.5", "exact_rational"),
    ("3", "2.9999999", "exact_rational"),
    ("3", "I first got 3 but that was wrong. I do not know the answer.", "extraction"),
    ("4", "somewhere between 2 and 4", "extraction"),
    ("2024", "(This was written in 2024.)", "extraction"),
    ("3", r"<think>it could be \boxed{3}</think>", "extraction"),
    ("3", r"<think>it could be \boxed{3}", "extraction"),
    ("3", r"It is definitely not $\boxed{3}$.", "extraction"),
    ("3", "The answer is not 3.", "extraction"),
])
def test_wrong_answers_fail_with_a_reason(v, reference, response, method):
    verdict = v.verify(reference, response)
    assert not verdict.passed, verdict.evidence
    assert verdict.evidence["method"] == method, verdict.evidence
    assert verdict.evidence["reason"]


@pytest.mark.parametrize("reference,response", [
    (r"5 \text{ m}", r"5 \text{ meters}"),  # the same unit spelled out
    (r"5 \text{ m}", "5"),  # units on one side only are dropped
    ("5", "The length is 5 cm."),
    ("15", r"$\boxed{15\mbox{ cm}^2}$"),
    ("2000000", "2000000.0"),  # an integer written as a decimal
    ("2,000,000", "2000000"),
    (r"\frac{1}{3}", "0.333333"),  # a correctly rounded decimal of a fraction
    ("3.14159", "3.141592"),  # a decimal reference keeps its relative tolerance
    ("3", r"<think>maybe 4</think>The answer is $\boxed{3}$."),
    ("4", r"It is $\boxed{4}$, definitely not $\boxed{3}$."),
])
def test_right_answers_still_pass(v, reference, response):
    verdict = v.verify(reference, response)
    assert verdict.passed, verdict.evidence
