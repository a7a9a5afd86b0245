"""Formats, checkers, value encoding, extraction and importers of the code verifier (benign code)."""

from __future__ import annotations

import math

import pytest

from reasonledger.verifiers import get_verifier
from reasonledger.verifiers.code import runner
from reasonledger.verifiers.code.checkers import check_stdio, values_equal
from reasonledger.verifiers.code.extract import extract_code
from reasonledger.verifiers.code.formats import ReferenceError_, normalise
from tests.verifiers.code.sandbox import code_verifier, needs_sandbox


@pytest.fixture(scope="module")
def verifier():
    yield from code_verifier()


def test_encoding_round_trip_keeps_builtin_types() -> None:
    values = [None, True, 3, -2**100, 1.5, float("inf"), "s", b"\x00b", bytearray(b"x"), (1, [2, (3,)]), {1: "a", (2, 3): None},
              {1, 2}, frozenset({"a"}), 1 + 2j, range(1, 10, 2), [], {}]
    for v in values:
        back = runner.decode(runner.encode(v))
        assert back == v and type(back) is type(v), v
    assert math.isnan(runner.decode(runner.encode(float("nan"))))
    assert list(runner.decode(runner.encode(iter([1, 2])))) == [1, 2]


def test_subclasses_travel_as_their_builtin_value_and_objects_as_opaque() -> None:
    class AlwaysEq(int):
        def __eq__(self, other):
            return True

    class Obj:
        def __eq__(self, other):
            return True

    assert type(runner.decode(runner.encode(AlwaysEq(0)))) is int
    assert runner.decode(runner.encode(AlwaysEq(0))) != 42
    opaque = runner.decode(runner.encode(Obj()))
    assert opaque != opaque and not (opaque == 42)


@pytest.mark.parametrize("bad", [{"x": 1, "y": 2}, {"zz": 1}, {"s": [[1]]}, {"F": "1"}, {"r": [0, 1, 0]}, {"c": [1, 2]}])
def test_decoder_rejects_malformed(bad) -> None:
    with pytest.raises(ValueError):
        runner.decode(bad)


def test_checkers() -> None:
    assert check_stdio("exact", "1\r\n2  \n\n", "1\n2\n")
    assert not check_stdio("exact", "1\n2\n3\n", "1\n2\n")
    assert check_stdio("tokens", "1  2\n3", "1 2 3\n")
    assert check_stdio("float", "0.3333333", "0.33333333")
    assert check_stdio("float", "1000000.5", "1000000.4999")  # relative
    assert not check_stdio("float", "nan", "nan0") and not check_stdio("float", "nan", "0.5")
    assert check_stdio("yesno", "YES\nno", "yes\nNO")
    assert not check_stdio("yesno", "YES", "no")
    assert values_equal(0.30000000000000004, 0.3) and not values_equal([1, 2], (1, 2))
    assert values_equal([1.0, 2.0000001], [1.0, 2.0]) and not values_equal(True, False)


def test_extraction_takes_last_python_fence() -> None:
    code, how = extract_code("Here:\n```python\nx = 1\n```\nbetter:\n```python\ndef f():\n    return 2\n```\n")
    assert code.strip().endswith("return 2") and how["source"] == "markdown_fence"
    code, how = extract_code("def f(): return 1")
    assert how["source"] == "whole_response"


def test_reference_validation() -> None:
    with pytest.raises(ReferenceError_):
        normalise({"format": "nope"})
    with pytest.raises(ReferenceError_):
        normalise({"format": "call", "fn_name": "f", "cases": [{"args": [1]}]})
    with pytest.raises(ReferenceError_):
        normalise({"format": "stdio", "cases": [{"input": "1"}], "checker": "exact"})
    assert normalise({"format": "stdio", "cases": []})["checker"] == "exact"


@needs_sandbox
def test_verdicts_per_format(verifier) -> None:
    call = {"format": "call", "fn_name": "f", "cases": [{"args": [1], "expected": 2}, {"args": [5], "expected": 6},
                                                       {"args": [], "kwargs": {"x": 2}, "expected": 3}]}
    ok = verifier.verify(call, "def f(x):\n    return x + 1\n")
    assert ok.passed and ok.score == 1.0 and ok.evidence["n_tests"] == 3
    bad = verifier.verify(call, "def f(x):\n    return 2\n")
    assert not bad.passed and bad.evidence["summary"] == {"pass": 1, "wrong_answer": 2}
    boom = verifier.verify(call, "def f(x):\n    raise KeyError(x)\n")
    assert boom.evidence["summary"] == {"runtime_error": 3}
    assert "KeyError" in boom.evidence["first_failure"]["error"]["type"]

    asrt = {"format": "assert", "fn_name": "add", "test": "assert add(1, 2) == 3\nassert add(0.1, 0.2) == 0.30000000000000004\n"}
    assert verifier.verify(asrt, "def add(a, b):\n    return a + b\n").passed
    tup = {"format": "assert", "fn_name": "g", "test": "assert g() == (1, 2)\nassert g() != [1, 2]\n"}
    assert verifier.verify(tup, "def g():\n    return (1, 2)\n").passed
    assert not verifier.verify(tup, "def g():\n    return [1, 2]\n").passed

    stdio = {"format": "stdio", "cases": [{"input": "3 4\n", "output": "7\n"}], "checker": "tokens"}
    v = verifier.verify(stdio, "a, b = map(int, input().split())\nprint(a + b)\n")
    assert v.passed and v.evidence["tests"][0]["peak_memory"] > 0 and v.evidence["tests"][0]["time"] > 0

    judge = {"format": "stdio", "cases": [{"input": "10\n", "output": "any two numbers summing to 10"}],
             "checker": {"program": "import json, sys\nd = json.load(sys.stdin)\na, b = map(int, d['output'].split())\nsys.exit(0 if a + b == int(d['input']) else 1)\n"}}
    assert verifier.verify(judge, "print(3, 7)").passed
    assert not verifier.verify(judge, "print(3, 8)").passed

    py = {"format": "pytest", "test": "from solution import add\n\ndef test_one():\n    assert add(1, 1) == 2\n"}
    w = verifier.verify(py, "def add(a, b):\n    return a + b\n")
    assert w.passed and "weak" not in w.evidence


@needs_sandbox
def test_verify_many_keeps_order_and_uses_the_pool(verifier) -> None:
    call = {"format": "call", "fn_name": "f", "cases": [{"args": [1], "expected": 2}]}
    pairs = [(call, "def f(x): return x + 1"), (call, "def f(x): return x"), (call, "def f(x): return x + 1")] * 5
    out = verifier.verify_many(pairs)
    assert [v.passed for v in out] == [True, False, True] * 5


@needs_sandbox
def test_card_has_isolation_and_known_errors(verifier) -> None:
    card = verifier.card()
    assert card["isolation"]["level"] in ("worker", "spawn")
    assert card["known_false_positives"] and card["known_false_negatives"]
    assert set(card["formats"]) == {"call", "assert", "stdio", "pytest"}


def test_refuses_below_minimum_isolation() -> None:
    from reasonledger.verifiers.code.pool import SandboxError

    # forcing the weaker spawn mode while requiring the worker level must refuse, not run
    v = get_verifier("code", mode="spawn", min_isolation="worker")
    with pytest.raises(SandboxError, match="below the required"):
        v.verify({"format": "call", "fn_name": "f", "cases": [{"args": [], "expected": 1}]}, "def f(): return 1")


@needs_sandbox
def test_humaneval_and_mbpp_importers(shared_data, verifier) -> None:
    from reasonledger.verifiers.code.datasets import humaneval_references, mbpp_references

    he = list(humaneval_references(shared_data / "humaneval" / "HumanEval.jsonl.gz"))
    assert len(he) == 164 and he[0]["reference"]["format"] == "assert"
    sample = he[:20]
    verdicts = verifier.verify_many([(r["reference"], r["canonical_solution"]) for r in sample])
    assert all(v.passed for v in verdicts), [v.evidence["first_failure"] for v in verdicts if not v.passed]
    crossed = verifier.verify_many([(sample[(i + 1) % 20]["reference"], sample[i]["canonical_solution"]) for i in range(20)])
    assert not any(v.passed for v in crossed)
    mb = list(mbpp_references(shared_data / "mbpp" / "sanitized-mbpp.json"))
    assert len(mb) == 427
    verdicts = verifier.verify_many([(r["reference"], r["canonical_solution"]) for r in mb[:30]])
    assert sum(v.passed for v in verdicts) == 30
    mbj = list(mbpp_references(shared_data / "mbpp" / "mbpp.jsonl"))
    assert len(mbj) == 974 and mbj[0]["fn_name"] == "min_cost"


@needs_sandbox
def test_humanevalplus_importer_computes_expected_in_the_sandbox(shared_data, tmp_path, verifier) -> None:
    import gzip
    import json

    from reasonledger.verifiers.code.datasets import humaneval_references

    rows = []
    with gzip.open(shared_data / "humaneval" / "HumanEvalPlus-v0.1.10.jsonl.gz", "rt") as f:
        for line in f:
            rows.append(json.loads(line))
            if len(rows) == 3:
                break
    small = tmp_path / "plus.jsonl"
    small.write_text("".join(json.dumps(r) + "\n" for r in rows))
    refs = list(humaneval_references(small, verifier=verifier))
    assert refs[0]["reference"]["format"] == "call" and refs[0]["reference"]["encoding"] == "tagged"
    assert len(refs[0]["reference"]["cases"]) == len(rows[0]["base_input"]) + len(rows[0]["plus_input"])
    assert verifier.verify(refs[0]["reference"], refs[0]["canonical_solution"]).passed
    assert not verifier.verify(refs[0]["reference"], refs[1]["canonical_solution"].replace(refs[1]["entry_point"], refs[0]["entry_point"])).passed
