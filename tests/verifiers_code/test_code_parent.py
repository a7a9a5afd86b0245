"""The trusted side of the code verifier (issue 19, "the parent trusts what the candidate sends"):
value comparison that respects type and shape, replies bounded before decoding, pytest verdicts
decided on evidence the candidate cannot write, and a bad reference that fails only its own row."""

from __future__ import annotations

import pytest

from reasonledger.verifiers import get_verifier
from reasonledger.verifiers.code.checkers import values_equal
from reasonledger.verifiers.code.probe import probe

needs_sandbox = pytest.mark.skipif(probe()["level_value"] < 2, reason=f"no sandbox here: {probe().get('missing')}")


@pytest.fixture(scope="module")
def verifier():
    v = get_verifier("code", time_limit=2.0, slots=2)
    yield v
    v.close()


# --- tolerance respects type and shape ---------------------------------------------------------


@pytest.mark.parametrize("got,expected", [
    ([[2.5]], 2.5), ([2.5], 2.5), (2.5, [2.5]), ([True], 1.0), (True, 1), (1, True), (True, 1.0), (False, 0),
    ([1.0, [2.0]], [1.0, 2.0]), ([[1.0, 2.0]], [1.0, 2.0]), ((1.0, 2.0), [1.0, 2.0]), ([1.0, 2.0], (1.0, 2.0)),
    ({"a": [2.5]}, {"a": 2.5}), ("2.5", 2.5), (None, 0.0), (float("nan"), float("nan")), (float("inf"), 1e308),
    ([1.0, 2.0, 3.0], [1.0, 2.0]),
])
def test_tolerance_does_not_flatten_types_or_shapes(got, expected) -> None:
    assert not values_equal(got, expected)
    assert not values_equal(got, expected, atol=0.5)


@pytest.mark.parametrize("got,expected,atol", [
    (2.5000001, 2.5, 0.0), ([1.0, 2.0000001], [1.0, 2.0], 0.0), (6, 6.0, 0.0), (6.0, 6, 0.0), (True, True, 0.0),
    ([[1.0, 2.0000001]], [[1.0, 2.0]], 1e-6), ((1.0, 2.0000001), (1.0, 2.0), 0.0), ({"a": 2.50001}, {"a": 2.5}, 1e-3),
    (float("inf"), float("inf"), 0.0), ([1, "x", None], [1, "x", None], 0.0),
])
def test_tolerance_still_accepts_close_values_of_the_same_shape(got, expected, atol) -> None:
    assert values_equal(got, expected, atol=atol)


@needs_sandbox
@pytest.mark.parametrize("ret,expected", [("[[2.5]]", 2.5), ("[True]", 1.0), ("True", 1), ("[2.5]", 2.5)])
def test_call_format_rejects_a_reshaped_or_retyped_value(verifier, ret: str, expected) -> None:
    ref = {"format": "call", "fn_name": "f", "cases": [{"args": [], "expected": expected}]}
    v = verifier.verify(ref, f"def f():\n    return {ret}\n")
    assert not v.passed and v.evidence["summary"] == {"wrong_answer": 1}
    assert verifier.verify(ref, f"def f():\n    return {expected!r}\n").passed


# --- one unparsable pytest reference fails its own row -----------------------------------------

ADD = "def add(a, b):\n    return a + b\n"
PY_ADD = {"format": "pytest", "test": "from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n"}
CALL_ADD = {"format": "call", "fn_name": "add", "cases": [{"args": [1, 2], "expected": 3}]}
UNPARSABLE = {
    "recursion in ast": "from solution import add\n\ndef test_deep():\n    assert add(1, 2) == 1" + " + 1" * 200_000 + "\n",
    "parser stack": "def test_deep():\n    x = " + "-" * 100_000 + "1\n",
    "syntax error": "def test_add(:\n    pass\n",
    "null byte": "def test_add():\n    pass\n\x00\n",
    "no test": "from solution import add\n\ndef helper():\n    assert add(1, 2) == 3\n",
}


@needs_sandbox
def test_an_unparsable_pytest_reference_fails_only_its_row(verifier) -> None:
    bad = [({"format": "pytest", "test": t}, ADD) for t in UNPARSABLE.values()]
    pairs = [(PY_ADD, ADD), *bad, (CALL_ADD, ADD)]
    out = verifier.verify_many(pairs)
    assert len(out) == len(pairs)
    assert out[0].passed and out[-1].passed, (out[0].evidence, out[-1].evidence)
    for name, v in zip(UNPARSABLE, out[1:-1]):
        assert not v.passed and v.score == 0.0, name
        assert v.evidence["error"].startswith("invalid reference: the pytest file"), (name, v.evidence["error"])
    single = verifier.verify({"format": "pytest", "test": UNPARSABLE["recursion in ast"]}, ADD)
    assert not single.passed and "RecursionError" in single.evidence["error"]
